package dev.kret.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.kret.Fixtures;
import dev.kret.data.Entity;
import dev.kret.data.RelationExample;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RelationEncoderTest {

  static TextTokenizer tok;
  static Map<String, RelationExample> dev;

  @BeforeAll
  static void load() throws Exception {
    tok = TextTokenizer.load(TextTokenizerTest.KLUE, TextTokenizerTest.allMarkers());
    List<RelationExample> rows =
        TextTokenizerTest.MAPPER.readValue(
            Fixtures.KLUE_RE_DEV_SLICE.toFile(), new TypeReference<List<RelationExample>>() {});
    dev = rows.stream().collect(Collectors.toMap(RelationExample::guid, Function.identity()));
  }

  @AfterAll
  static void close() {
    tok.close();
  }

  /** Subject 한국투자증권 (ORG, 4..9) comes after object 김진우 (PER, 0..2). */
  static RelationExample subjectAfterObject() {
    return dev.get("klue-re-v1_dev_00009");
  }

  /** Subject A (PER, 7) before object 30 (NOH, 29..30). */
  static RelationExample subjectFirst() {
    return dev.get("klue-re-v1_dev_00000");
  }

  String[] tokens(RelationEncoder.Encoded e) {
    return Arrays.stream(e.ids()).mapToObj(tok::token).toArray(String[]::new);
  }

  @Test
  void entityMarkersWrapBothEntities() {
    RelationEncoder enc = new RelationEncoder(tok, MarkerScheme.ENTITY, 256);
    RelationEncoder.Encoded e = enc.encode(subjectFirst());
    String[] t = tokens(e);
    assertThat(t[e.subjectIndex()]).isEqualTo("<subj>");
    assertThat(t[e.subjectIndex() + 1]).isEqualTo("A");
    assertThat(t[e.subjectIndex() + 2]).isEqualTo("</subj>");
    assertThat(t[e.objectIndex()]).isEqualTo("<obj>");
    assertThat(t[e.objectIndex() + 1]).isEqualTo("30");
    assertThat(t[e.objectIndex() + 2]).isEqualTo("</obj>");
    assertThat(enc.markedSentence(subjectFirst())).contains("남성 <subj> A </subj>(26)씨");
  }

  @Test
  void typedMarkersCarryTheEntityType() {
    RelationEncoder enc = new RelationEncoder(tok, MarkerScheme.TYPED, 256);
    RelationEncoder.Encoded e = enc.encode(subjectFirst());
    String[] t = tokens(e);
    assertThat(t[e.subjectIndex()]).isEqualTo("<subj:PER>");
    assertThat(t[e.subjectIndex() + 2]).isEqualTo("</subj:PER>");
    assertThat(t[e.objectIndex()]).isEqualTo("<obj:NOH>");
    assertThat(t[e.objectIndex() + 2]).isEqualTo("</obj:NOH>");
  }

  @Test
  void typedPunctMarkersArePlainPunctuation() {
    RelationEncoder enc = new RelationEncoder(tok, MarkerScheme.TYPED_PUNCT, 256);
    RelationExample ex = subjectFirst();
    assertThat(enc.markedSentence(ex)).contains("@ * PER * A @").contains("# ^ NOH ^ 30 #");
    RelationEncoder.Encoded e = enc.encode(ex);
    String[] t = tokens(e);
    assertThat(Arrays.copyOfRange(t, e.subjectIndex(), e.subjectIndex() + 2))
        .containsExactly("@", "*");
    assertThat(Arrays.copyOfRange(t, e.objectIndex(), e.objectIndex() + 2))
        .containsExactly("#", "^");
    assertThat(Arrays.stream(e.ids()).max().getAsInt()).isLessThan(32000);
  }

  @Test
  void noMarkersPointsBothEntitiesAtCls() {
    RelationEncoder enc = new RelationEncoder(tok, MarkerScheme.NONE, 256);
    RelationExample ex = subjectFirst();
    RelationEncoder.Encoded e = enc.encode(ex);
    assertThat(enc.markedSentence(ex)).isEqualTo(ex.sentence());
    assertThat(e.ids()).containsExactly(tok.encode(ex.sentence()).ids());
    assertThat(e.subjectIndex()).isZero();
    assertThat(e.objectIndex()).isZero();
  }

  @Test
  void handlesSubjectAfterObject() {
    RelationExample ex = subjectAfterObject();
    RelationEncoder enc = new RelationEncoder(tok, MarkerScheme.TYPED, 256);
    RelationEncoder.Encoded e = enc.encode(ex);
    String[] t = tokens(e);
    assertThat(e.objectIndex()).isEqualTo(1);
    assertThat(t[e.objectIndex()]).isEqualTo("<obj:PER>");
    assertThat(e.subjectIndex()).isGreaterThan(e.objectIndex());
    assertThat(t[e.subjectIndex()]).isEqualTo("<subj:ORG>");
    assertThat(enc.markedSentence(ex))
        .startsWith("<obj:PER> 김진우 </obj:PER> <subj:ORG> 한국투자증권 </subj:ORG>");
  }

  @Test
  void rejectsOverlappingSpans() {
    RelationExample ex =
        new RelationExample(
            "x",
            "김진우 한국투자증권 연구원",
            new Entity("한국투자증권", 4, 9, "ORG"),
            new Entity("투자", 6, 7, "POH"),
            null,
            null);
    RelationEncoder enc = new RelationEncoder(tok, MarkerScheme.ENTITY, 64);
    assertThatThrownBy(() -> enc.encode(ex))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("overlaps");
  }

  @Test
  void rejectsSpanOutsideSentence() {
    RelationExample ex =
        new RelationExample(
            "x", "김진우", new Entity("김진우", 0, 2, "PER"), new Entity("?", 3, 3, "ORG"), null, null);
    assertThatThrownBy(() -> new RelationEncoder(tok, MarkerScheme.ENTITY, 64).encode(ex))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("object_entity");
  }

  @Test
  void insertsMarkersByCodePointOffsets() {
    // Two supplementary characters before the subject: UTF-16 indices would be off by two.
    String sentence = "\uD835\uDC00\uD835\uDC01 김진우 대표는 한국투자증권 소속이다.";
    RelationExample ex =
        new RelationExample(
            "x",
            sentence,
            new Entity("김진우", 3, 5, "PER"),
            new Entity("한국투자증권", 11, 16, "ORG"),
            null,
            null);
    RelationEncoder enc = new RelationEncoder(tok, MarkerScheme.ENTITY, 64);
    assertThat(enc.markedSentence(ex))
        .isEqualTo("\uD835\uDC00\uD835\uDC01 <subj> 김진우 </subj> 대표는 <obj> 한국투자증권 </obj> 소속이다.");
    RelationEncoder.Encoded e = enc.encode(ex);
    assertThat(tok.token(e.ids()[e.subjectIndex()])).isEqualTo("<subj>");
    assertThat(tok.token(e.ids()[e.objectIndex()])).isEqualTo("<obj>");
  }

  @Test
  void rejectsUnknownTypeForTypedMarkers() {
    RelationExample ex =
        new RelationExample(
            "x",
            "김진우 한국투자증권",
            new Entity("김진우", 0, 2, "PERSON"),
            new Entity("한국투자증권", 4, 9, "ORG"),
            null,
            null);
    assertThatThrownBy(() -> new RelationEncoder(tok, MarkerScheme.TYPED, 64).encode(ex))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PERSON");
  }

  @Test
  void rejectsTokenizerWithoutMarkerTokens() throws Exception {
    try (TextTokenizer plain = TextTokenizer.load(TextTokenizerTest.KLUE, List.of())) {
      assertThatThrownBy(() -> new RelationEncoder(plain, MarkerScheme.TYPED, 64))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("<subj:PER>");
      new RelationEncoder(plain, MarkerScheme.TYPED_PUNCT, 64);
    }
  }

  // ---- truncation ----

  static final String FILLER =
      "서울 시내 곳곳에서 열린 이번 행사에는 많은 시민들이 참석하여 자리를 빛냈으며 관계자들은 내년에도 비슷한 규모로 개최할 계획이라고 밝혔다";

  /** A long sentence with the subject and object at the given places. */
  static RelationExample longExample(String where) {
    String subj = "김진우";
    String obj = "한국투자증권";
    String sentence =
        switch (where) {
          case "start" -> subj + " 연구원과 " + obj + " 관계자는 " + FILLER + " " + FILLER + ".";
          case "end" -> FILLER + " " + FILLER + " 그리고 " + subj + " 연구원과 " + obj + ".";
          case "apart" -> subj + " 연구원은 " + FILLER + " " + FILLER + " " + obj + ".";
          case "reversed" -> obj + " 측은 " + FILLER + " " + FILLER + " " + subj + " 연구원.";
          default -> throw new IllegalArgumentException(where);
        };
    int s = sentence.indexOf(subj);
    int o = sentence.indexOf(obj);
    return new RelationExample(
        where,
        sentence,
        new Entity(subj, s, s + subj.length() - 1, "PER"),
        new Entity(obj, o, o + obj.length() - 1, "ORG"),
        null,
        null);
  }

  @Test
  void truncationKeepsMarkers() {
    for (MarkerScheme scheme :
        List.of(MarkerScheme.ENTITY, MarkerScheme.TYPED, MarkerScheme.TYPED_PUNCT)) {
      for (int max : new int[] {16, 32}) {
        for (String where : List.of("start", "end", "apart", "reversed")) {
          RelationEncoder enc = new RelationEncoder(tok, scheme, max);
          RelationExample ex = longExample(where);
          RelationEncoder.Encoded full = new RelationEncoder(tok, scheme, 512).encode(ex);
          assertThat(full.ids().length).isGreaterThan(max);
          RelationEncoder.Encoded e = enc.encode(ex);
          String label = scheme + "/" + max + "/" + where;
          assertThat(e.ids().length).as(label).isLessThanOrEqualTo(max);
          assertThat(e.ids()[0]).as(label).isEqualTo(tok.clsId());
          assertThat(e.ids()[e.ids().length - 1]).as(label).isEqualTo(tok.sepId());
          assertThat(tok.token(e.ids()[e.subjectIndex()]))
              .as(label)
              .isEqualTo(tok.token(full.ids()[full.subjectIndex()]));
          assertThat(tok.token(e.ids()[e.objectIndex()]))
              .as(label)
              .isEqualTo(tok.token(full.ids()[full.objectIndex()]));
          // Every marker token of the full encoding survives, in order.
          assertThat(markerTokens(e, scheme)).as(label).isEqualTo(markerTokens(full, scheme));
          assertThat(String.join(" ", tokens(e))).as(label).contains("김진").contains("한국");
        }
      }
    }
  }

  @Test
  void truncationFillsTheBudgetWithContext() {
    RelationEncoder enc = new RelationEncoder(tok, MarkerScheme.ENTITY, 32);
    for (String where : List.of("start", "end", "apart")) {
      assertThat(enc.encode(longExample(where)).ids()).as(where).hasSize(32);
    }
  }

  @Test
  void truncationCentresOnNearbyEntities() {
    RelationEncoder enc = new RelationEncoder(tok, MarkerScheme.ENTITY, 32);
    RelationEncoder.Encoded e = enc.encode(longExample("end"));
    String[] t = tokens(e);
    // The entities sit near the end, so the window slides left and ends with the sentence.
    assertThat(t[t.length - 2]).isEqualTo(".");
    assertThat(t[t.length - 3]).isEqualTo("</obj>");
    assertThat(e.subjectIndex()).isGreaterThan(10);
  }

  @Test
  void truncationShortensEntityWordsOnlyWhenMarkersAloneBarelyFit() {
    RelationExample ex =
        new RelationExample(
            "x",
            "가나다라마바사아자차카타파하 연구원과 가나다라마바사아자차카타파하 협회",
            new Entity("가나다라마바사아자차카타파하", 0, 13, "PER"),
            new Entity("가나다라마바사아자차카타파하", 20, 33, "ORG"),
            null,
            null);
    RelationEncoder enc = new RelationEncoder(tok, MarkerScheme.TYPED, 8);
    RelationEncoder.Encoded e = enc.encode(ex);
    assertThat(tokens(e))
        .hasSize(8)
        .startsWith("[CLS]", "<subj:PER>")
        .contains("</subj:PER>", "<obj:ORG>", "</obj:ORG>")
        .endsWith("[SEP]");
    assertThatThrownBy(() -> new RelationEncoder(tok, MarkerScheme.TYPED, 5).encode(ex))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxLength 5");
  }

  List<String> markerTokens(RelationEncoder.Encoded e, MarkerScheme scheme) {
    List<String> markers =
        scheme == MarkerScheme.TYPED_PUNCT ? List.of("@", "#", "*", "^") : scheme.addedTokens();
    return Arrays.stream(tokens(e)).filter(markers::contains).toList();
  }

  // ---- collate ----

  @Test
  void collatePadsWithPadIdAndMaskZero() {
    RelationEncoder.Encoded a = new RelationEncoder.Encoded(new int[] {0, 10, 11, 2}, 1, 2);
    RelationEncoder.Encoded b = new RelationEncoder.Encoded(new int[] {0, 12, 2}, 1, 1);
    RelationEncoder.Batch batch = RelationEncoder.collate(List.of(a, b), 1);
    assertThat(batch.size()).isEqualTo(2);
    assertThat(batch.sequenceLength()).isEqualTo(4);
    assertThat(batch.ids()[0]).containsExactly(0, 10, 11, 2);
    assertThat(batch.ids()[1]).containsExactly(0, 12, 2, 1);
    assertThat(batch.mask()[0]).containsExactly(1, 1, 1, 1);
    assertThat(batch.mask()[1]).containsExactly(1, 1, 1, 0);
    assertThat(batch.subjectIndex()).containsExactly(1, 1);
    assertThat(batch.objectIndex()).containsExactly(2, 1);
  }

  @Test
  void collatesRealEncodingsToTheLongest() {
    RelationEncoder enc = new RelationEncoder(tok, MarkerScheme.TYPED_PUNCT, 128);
    List<RelationEncoder.Encoded> items =
        List.of(enc.encode(subjectFirst()), enc.encode(subjectAfterObject()));
    RelationEncoder.Batch batch = RelationEncoder.collate(items, tok.padId());
    int longest = items.stream().mapToInt(i -> i.ids().length).max().orElseThrow();
    assertThat(batch.sequenceLength()).isEqualTo(longest);
    for (int r = 0; r < 2; r++) {
      int len = items.get(r).ids().length;
      assertThat(Arrays.stream(batch.mask()[r]).sum()).isEqualTo(len);
      for (int c = len; c < longest; c++) {
        assertThat(batch.ids()[r][c]).isEqualTo(tok.padId());
      }
    }
  }
}
