package dev.kret.data;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/** The official KLUE-RE label order (no_relation = 0) and entity types. */
public final class Labels {

  /** KLUE-RE's relation_list.json, in order: the official metrics index classes by it. */
  public static final List<String> RELATIONS =
      List.of(
          "no_relation",
          "org:dissolved",
          "org:founded",
          "org:place_of_headquarters",
          "org:alternate_names",
          "org:member_of",
          "org:members",
          "org:political/religious_affiliation",
          "org:product",
          "org:founded_by",
          "org:top_members/employees",
          "org:number_of_employees/members",
          "per:date_of_birth",
          "per:date_of_death",
          "per:place_of_birth",
          "per:place_of_death",
          "per:place_of_residence",
          "per:origin",
          "per:employee_of",
          "per:schools_attended",
          "per:alternate_names",
          "per:parents",
          "per:children",
          "per:siblings",
          "per:spouse",
          "per:other_family",
          "per:colleagues",
          "per:product",
          "per:religion",
          "per:title");

  public static final int NO_RELATION = 0;

  /** Entity types that occur in KLUE-RE (subjects are PER or ORG; objects any of them). */
  public static final List<String> ENTITY_TYPES = List.of("PER", "ORG", "LOC", "DAT", "POH", "NOH");

  private static final Map<String, Integer> INDEX =
      IntStream.range(0, RELATIONS.size())
          .boxed()
          .collect(Collectors.toUnmodifiableMap(RELATIONS::get, Function.identity()));

  private Labels() {}

  /** Index of a relation name, or -1 when it is not a KLUE-RE label. */
  public static int indexOf(String relation) {
    return INDEX.getOrDefault(relation, -1);
  }
}
