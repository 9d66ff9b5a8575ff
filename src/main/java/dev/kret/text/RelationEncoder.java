package dev.kret.text;

import dev.kret.data.Entity;
import dev.kret.data.RelationExample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Turns a KLUE-RE example into model input: entity markers, token ids and the positions the
 * entity-start head reads. The one encoder of training and serving, so preprocessing cannot drift.
 *
 * <p>Truncation: the sentence is encoded in full; when it is longer than {@code maxLength} (which
 * counts [CLS] and [SEP]) the encoder keeps the tokens of both marked entities (opening marker to
 * closing marker). If the stretch from the first entity to the second fits, it keeps that stretch
 * and fills the rest of the budget with context taken alternately left and right, so the window is
 * centred on the entities and slides when it meets a sentence end. If the stretch does not fit but
 * both marked entities do, it keeps each with context grown the same way and drops the middle. If
 * even the two marked entities do not fit, it shortens the entity words from their end, keeping
 * every marker token and at least the first word piece, and throws when not even that fits.
 */
public final class RelationEncoder {

  private final TextTokenizer tokenizer;
  private final MarkerScheme scheme;
  private final int maxLength;

  /** One encoded example; indices point at the first token of each entity's opening marker. */
  public record Encoded(int[] ids, int subjectIndex, int objectIndex) {}

  /**
   * A padded batch: {@code ids} and {@code mask} are [batch][longest] (mask 1 for tokens, 0 for
   * padding), the indices one per row; long arrays because DJL's embedding input is int64.
   */
  public record Batch(long[][] ids, long[][] mask, int[] subjectIndex, int[] objectIndex) {

    public int size() {
      return ids.length;
    }

    public int sequenceLength() {
      return ids.length == 0 ? 0 : ids[0].length;
    }
  }

  /**
   * A marked entity in token coordinates: [first, last] inclusive; the word from {@code word}, the
   * closing marker from {@code tail}.
   */
  private record Span(int first, int word, int tail, int last) {
    int length() {
      return last - first + 1;
    }

    int tailLength() {
      return last - tail + 1;
    }
  }

  public RelationEncoder(TextTokenizer tokenizer, MarkerScheme scheme, int maxLength) {
    this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
    this.scheme = Objects.requireNonNull(scheme, "scheme");
    if (maxLength < 3) {
      throw new IllegalArgumentException("maxLength must be at least 3, got " + maxLength);
    }
    this.maxLength = maxLength;
    for (String token : scheme.addedTokens()) {
      if (tokenizer.tokenId(token) < 0) {
        throw new IllegalArgumentException(
            "tokenizer lacks the '"
                + scheme.spec()
                + "' marker token "
                + token
                + "; load it with MarkerScheme.addedTokens()");
      }
    }
  }

  public MarkerScheme scheme() {
    return scheme;
  }

  public int maxLength() {
    return maxLength;
  }

  /** The sentence with the markers inserted, as the tokenizer sees it. */
  public String markedSentence(RelationExample ex) {
    return mark(ex).text;
  }

  /** Encodes and, if needed, truncates to {@code maxLength} without losing a marker. */
  public Encoded encode(RelationExample ex) {
    Marked marked = mark(ex);
    TextTokenizer.Tokens tokens = tokenizer.encode(marked.text);
    int n = tokens.length();
    Span subject = span(tokens, marked.subject);
    Span object = span(tokens, marked.object);
    int[] keep = n <= maxLength ? range(1, n - 1) : window(n, subject, object);

    int[] ids = new int[keep.length + 2];
    ids[0] = tokens.ids()[0];
    int subjectIndex = 0;
    int objectIndex = 0;
    for (int i = 0; i < keep.length; i++) {
      ids[i + 1] = tokens.ids()[keep[i]];
      if (subject != null && keep[i] == subject.first) {
        subjectIndex = i + 1;
      }
      if (object != null && keep[i] == object.first) {
        objectIndex = i + 1;
      }
    }
    ids[ids.length - 1] = tokens.ids()[n - 1];
    if (scheme == MarkerScheme.NONE) {
      return new Encoded(ids, 0, 0);
    }
    return new Encoded(ids, subjectIndex, objectIndex);
  }

  /** Pads every row to the longest one with {@code padId}; mask is 1 on real tokens. */
  public static Batch collate(List<Encoded> items, int padId) {
    if (items.isEmpty()) {
      throw new IllegalArgumentException("cannot collate an empty batch");
    }
    int width = items.stream().mapToInt(e -> e.ids().length).max().orElseThrow();
    int size = items.size();
    long[][] ids = new long[size][width];
    long[][] mask = new long[size][width];
    int[] subjects = new int[size];
    int[] objects = new int[size];
    for (int r = 0; r < size; r++) {
      Encoded e = items.get(r);
      Arrays.fill(ids[r], padId);
      for (int c = 0; c < e.ids().length; c++) {
        ids[r][c] = e.ids()[c];
        mask[r][c] = 1;
      }
      subjects[r] = e.subjectIndex();
      objects[r] = e.objectIndex();
    }
    return new Batch(ids, mask, subjects, objects);
  }

  // ---- marking ----------------------------------------------------------------------------

  /** Code-point offsets of one marked entity in the marked text: [start, end), word, tail. */
  private record Range(int start, int word, int tail, int end) {}

  private record Marked(String text, Range subject, Range object) {}

  private Marked mark(RelationExample ex) {
    Objects.requireNonNull(ex, "example");
    String sentence = Objects.requireNonNull(ex.sentence(), "sentence");
    int[] cps = sentence.codePoints().toArray();
    Entity s = checked(ex.subject(), "subject_entity", cps.length);
    Entity o = checked(ex.object(), "object_entity", cps.length);
    if (s.start() <= o.end() && o.start() <= s.end()) {
      throw new IllegalArgumentException(
          "subject_entity ["
              + s.start()
              + ", "
              + s.end()
              + "] overlaps object_entity ["
              + o.start()
              + ", "
              + o.end()
              + "]");
    }
    boolean subjectFirst = s.start() < o.start();
    Entity first = subjectFirst ? s : o;
    Entity second = subjectFirst ? o : s;

    StringBuilder out = new StringBuilder(sentence.length() + 32);
    int[] length = {0}; // code points written so far
    appendCodePoints(out, length, cps, 0, first.start());
    Range r1 = appendEntity(out, length, cps, first, subjectFirst);
    appendCodePoints(out, length, cps, first.end() + 1, second.start());
    Range r2 = appendEntity(out, length, cps, second, !subjectFirst);
    appendCodePoints(out, length, cps, second.end() + 1, cps.length);
    return new Marked(out.toString(), subjectFirst ? r1 : r2, subjectFirst ? r2 : r1);
  }

  private Range appendEntity(
      StringBuilder out, int[] length, int[] cps, Entity e, boolean isSubject) {
    int start = length[0];
    appendText(out, length, scheme.open(isSubject, e.type()));
    int word = length[0];
    appendCodePoints(out, length, cps, e.start(), e.end() + 1);
    int tail = length[0];
    appendText(out, length, scheme.close(isSubject, e.type()));
    return new Range(start, word, tail, length[0]);
  }

  private static void appendCodePoints(
      StringBuilder out, int[] length, int[] cps, int from, int to) {
    for (int i = from; i < to; i++) {
      out.appendCodePoint(cps[i]);
    }
    length[0] += to - from;
  }

  private static void appendText(StringBuilder out, int[] length, String text) {
    out.append(text);
    length[0] += text.codePointCount(0, text.length());
  }

  private Entity checked(Entity e, String field, int sentenceLength) {
    if (e == null) {
      throw new IllegalArgumentException(field + " is missing");
    }
    if (e.start() < 0 || e.end() < e.start() || e.end() >= sentenceLength) {
      throw new IllegalArgumentException(
          field
              + " span ["
              + e.start()
              + ", "
              + e.end()
              + "] is outside the sentence of "
              + sentenceLength
              + " code points");
    }
    if (scheme != MarkerScheme.NONE && scheme != MarkerScheme.ENTITY && isBlank(e.type())) {
      throw new IllegalArgumentException(field + ".type is required by '" + scheme.spec() + "'");
    }
    return e;
  }

  private static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }

  // ---- truncation -------------------------------------------------------------------------

  /** The tokens overlapping a marked range, or null when none does (a blank unmarked entity). */
  private static Span span(TextTokenizer.Tokens tokens, Range r) {
    int first = -1;
    int last = -1;
    int word = -1;
    int tail = -1;
    for (int i = 0; i < tokens.length(); i++) {
      int s = tokens.starts()[i];
      int e = tokens.ends()[i];
      if (s < 0 || e <= r.start() || s >= r.end()) {
        continue;
      }
      if (first < 0) {
        first = i;
      }
      last = i;
      if (word < 0 && e > r.word()) {
        word = i;
      }
      if (tail < 0 && s >= r.tail()) {
        tail = i;
      }
    }
    if (first < 0) {
      return null;
    }
    int tailIndex = tail < 0 ? last + 1 : tail;
    return new Span(first, word < 0 ? tailIndex : word, tailIndex, last);
  }

  /** Indices of the content tokens (1 … n-2) to keep, in order; see the class comment. */
  private int[] window(int n, Span a, Span b) {
    int budget = maxLength - 2;
    List<Span> spans = new ArrayList<>();
    if (a != null) {
      spans.add(a);
    }
    if (b != null) {
      spans.add(b);
    }
    spans.sort((x, y) -> Integer.compare(x.first, y.first));
    if (spans.isEmpty()) {
      return range(1, 1 + budget);
    }
    int lo = spans.get(0).first;
    int hi = spans.stream().mapToInt(Span::last).max().orElseThrow();
    List<int[]> windows = new ArrayList<>(); // [from, to] inclusive, in order
    if (hi - lo + 1 <= budget) {
      windows.add(new int[] {lo, hi});
    } else if (spans.stream().mapToInt(Span::length).sum() <= budget) {
      for (Span s : spans) {
        windows.add(new int[] {s.first, s.last});
      }
    } else {
      return trimmedEntities(spans, budget);
    }
    grow(windows, budget - kept(windows), 1, n - 2);
    List<Integer> out = new ArrayList<>();
    for (int[] w : windows) {
      for (int i = w[0]; i <= w[1]; i++) {
        out.add(i);
      }
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  /** Adds context one token at a time, alternating sides, until the budget or the text ends. */
  private static void grow(List<int[]> windows, int budget, int min, int max) {
    boolean progress = true;
    while (budget > 0 && progress) {
      progress = false;
      for (int w = 0; w < windows.size() && budget > 0; w++) {
        int[] cur = windows.get(w);
        int leftLimit = w == 0 ? min : windows.get(w - 1)[1] + 1;
        if (cur[0] - 1 >= leftLimit) {
          cur[0]--;
          budget--;
          progress = true;
        }
        int rightLimit = w == windows.size() - 1 ? max : windows.get(w + 1)[0] - 1;
        if (budget > 0 && cur[1] + 1 <= rightLimit) {
          cur[1]++;
          budget--;
          progress = true;
        }
      }
    }
  }

  /** Both entities alone exceed the budget: shorten their words, keep every marker token. */
  private int[] trimmedEntities(List<Span> spans, int budget) {
    int[] keepHead = new int[spans.size()]; // tokens kept from first, before the tail
    int needed = 0;
    for (int i = 0; i < spans.size(); i++) {
      Span s = spans.get(i);
      int wordPieces = s.tail - s.word;
      keepHead[i] = (s.word - s.first) + Math.min(1, wordPieces);
      needed += keepHead[i] + s.tailLength();
    }
    if (needed > budget) {
      throw new IllegalArgumentException(
          "maxLength "
              + maxLength
              + " cannot hold both marked entities ("
              + (needed + 2)
              + " tokens needed with [CLS] and [SEP])");
    }
    int spare = budget - needed;
    boolean progress = true;
    while (spare > 0 && progress) {
      progress = false;
      for (int i = 0; i < spans.size() && spare > 0; i++) {
        Span s = spans.get(i);
        if (keepHead[i] < s.tail - s.first) {
          keepHead[i]++;
          spare--;
          progress = true;
        }
      }
    }
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < spans.size(); i++) {
      Span s = spans.get(i);
      for (int t = s.first; t < s.first + keepHead[i]; t++) {
        out.add(t);
      }
      for (int t = s.tail; t <= s.last; t++) {
        out.add(t);
      }
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  private static int kept(List<int[]> windows) {
    return windows.stream().mapToInt(w -> w[1] - w[0] + 1).sum();
  }

  private static int[] range(int from, int to) {
    int[] out = new int[Math.max(0, to - from)];
    for (int i = 0; i < out.length; i++) {
      out[i] = from + i;
    }
    return out;
  }
}
