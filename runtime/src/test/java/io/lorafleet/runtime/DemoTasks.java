package io.lorafleet.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The bundled demo model ({@code models/demo}, found through {@code -Dlorafleet.demo}, set by the build, or
 * {@code ../models/demo}) and its six tasks, each defined by a rule. The same lists, templates, held-out rule
 * and task rules as the training script ({@code ops/demo-model/tasks.py}): inputs are generated here, answers
 * are checked by rule, never against a stored string.
 */
public final class DemoTasks {
  public static final List<String> NAMES = List.of(
      "Alice", "Bob", "Carol", "David", "Emma", "Frank", "Grace", "Henry", "Irene", "Jack",
      "Karen", "Leo", "Maria", "Nora", "Oscar", "Paul", "Quinn", "Rosa", "Sam", "Tina",
      "Uma", "Victor", "Wendy", "Xavier", "Yara", "Zoe", "Anna", "Ben", "Clara", "Daniel",
      "Elena", "Felix", "Hugo", "Ivan", "Julia", "Kevin", "Laura", "Mark", "Nina", "Omar",
      "Peter", "Ruth", "Sofia", "Tom", "Vera", "Walter", "Adam", "Bella", "Chris", "Diana");
  public static final List<String> CITIES = List.of(
      "Paris", "London", "Berlin", "Madrid", "Rome", "Vienna", "Prague", "Oslo", "Dublin", "Lisbon",
      "Boston", "Denver", "Chicago", "Seattle", "Austin", "Toronto", "Sydney", "Tokyo", "Seoul", "Cairo",
      "Lima", "Quito", "Athens", "Warsaw", "Zurich", "Munich", "Milan", "Naples", "Porto", "Geneva");
  public static final List<String> THINGS = List.of(
      "green apples", "old books", "long walks", "hot tea", "jazz music", "board games", "fresh bread",
      "small dogs", "red bikes", "quiet parks", "cold lemonade", "funny movies", "tall trees",
      "warm soup", "blue kites", "sunny days", "spicy food", "chess", "painting", "swimming");
  /** {n} name, {a} age, {c} city. */
  public static final List<String> TEMPLATES = List.of(
      "{n} is {a} years old and lives in {c}.",
      "{n} lives in {c} and is {a} years old.",
      "My friend {n} from {c} is {a}.",
      "{n}, aged {a}, works in {c}.",
      "In {c}, {n} turned {a} last year.",
      "{n} moved to {c} at the age of {a}.");
  public static final List<String> EXTRAS = List.of("{n} likes {t}.", "{n} enjoys {t}.");
  /** The task adapters of the demo, by directory name. */
  public static final List<String> TASKS =
      List.of("uppercase", "title-case", "pig-latin", "extract-json", "spell-numbers", "leetspeak");

  private static final ObjectMapper JSON = new ObjectMapper();

  private DemoTasks() {}

  public static Path root() {
    String p = System.getProperty("lorafleet.demo");
    Path dir = p != null ? Path.of(p) : Path.of("..", "models", "demo");
    if (!Files.isDirectory(dir)) {
      dir = Path.of("models", "demo");
    }
    return dir.toAbsolutePath().normalize();
  }

  public static Path model() {
    return root().resolve("lorafleet-demo");
  }

  public static Path adapters() {
    return root().resolve("adapters");
  }

  /** A task input sentence and the facts it states. */
  public record Input(String text, String name, int age, String city) {}

  /** (name, city) pairs the training never saw: the only ones {@link #heldOutInput} uses. */
  public static boolean isHeldOut(int nameIndex, int cityIndex) {
    return (nameIndex + cityIndex) % 7 == 0;
  }

  /** A held-out input, as the training script's {@code task_input(rng, held_out=True)} builds them. */
  public static Input heldOutInput(Random rng) {
    int i;
    int j;
    do {
      i = rng.nextInt(NAMES.size());
      j = rng.nextInt(CITIES.size());
    } while (!isHeldOut(i, j));
    String n = NAMES.get(i);
    String c = CITIES.get(j);
    int a = 1 + rng.nextInt(99);
    String text = TEMPLATES.get(rng.nextInt(TEMPLATES.size()))
        .replace("{n}", n).replace("{a}", Integer.toString(a)).replace("{c}", c);
    if (rng.nextInt(10) < 4) {
      text += " " + EXTRAS.get(rng.nextInt(EXTRAS.size())).replace("{n}", n)
          .replace("{t}", THINGS.get(rng.nextInt(THINGS.size())));
    }
    return new Input(text, n, a, c);
  }

  /**
   * Whether {@code answer} is task {@code task}'s correct answer to {@code in}: the text tasks compare with
   * the rule's output, extract-json parses the answer and compares the three fields (and nothing else).
   */
  public static boolean correct(String task, Input in, String answer) {
    if (task.equals("extract-json")) {
      try {
        JsonNode o = JSON.readTree(answer);
        return o != null && o.isObject() && o.size() == 3 && o.path("name").isTextual()
            && o.get("name").asText().equals(in.name()) && o.path("age").isInt() && o.get("age").asInt() == in.age()
            && o.path("city").isTextual() && o.get("city").asText().equals(in.city());
      } catch (IOException e) {
        return false;
      }
    }
    return answer.equals(expected(task, in.text()));
  }

  /**
   * Whether {@code answer} has the shape of task {@code task}'s answer to {@code in}, a weaker check than
   * {@link #correct} that no other task's answer passes: upper case only (uppercase), every word capitalized,
   * some lower case (title-case), every word of letters ending in "ay" and no capital
   * (pig-latin), a JSON object with exactly name, age and city (extract-json), the input's text without its
   * digits (spell-numbers: no digit left, the name and city kept), none of the letters leetspeak replaces.
   */
  public static boolean hasTaskShape(String task, Input in, String answer) {
    if (answer.isBlank()) {
      return false;
    }
    return switch (task) {
      case "uppercase" -> answer.equals(answer.toUpperCase(Locale.ROOT)) && answer.chars().anyMatch(Character::isLetter);
      case "title-case" -> answer.equals(expected("title-case", answer)) && answer.chars().anyMatch(Character::isLowerCase);
      case "pig-latin" -> answer.equals(answer.toLowerCase(Locale.ROOT)) && java.util.Arrays.stream(answer.split(" "))
          .map(DemoTasks::stripPunct).filter(w -> !w.isEmpty() && w.chars().allMatch(Character::isLetter))
          .allMatch(w -> w.endsWith("ay"));
      case "extract-json" -> {
        try {
          JsonNode o = JSON.readTree(answer);
          yield o != null && o.isObject() && o.size() == 3 && o.has("name") && o.has("age") && o.has("city");
        } catch (IOException e) {
          yield false;
        }
      }
      case "spell-numbers" -> answer.chars().noneMatch(Character::isDigit) && answer.contains(in.name())
          && answer.contains(in.city());
      case "leetspeak" -> answer.chars().map(Character::toLowerCase).noneMatch(c -> "aeiost".indexOf(c) >= 0)
          && answer.chars().anyMatch(c -> "43107".indexOf(c) >= 0);
      default -> throw new IllegalArgumentException("unknown task " + task);
    };
  }

  /** The rule's answer for a text task. */
  public static String expected(String task, String text) {
    return switch (task) {
      case "uppercase" -> text.toUpperCase(Locale.ROOT);
      case "title-case" -> words(text, w -> w.isEmpty() ? w : w.substring(0, 1).toUpperCase(Locale.ROOT) + w.substring(1));
      case "pig-latin" -> words(text, DemoTasks::pigLatin);
      case "spell-numbers" -> words(text, w -> {
        String core = stripPunct(w);
        return !core.isEmpty() && core.chars().allMatch(Character::isDigit)
            ? numberWords(Integer.parseInt(core)) + w.substring(core.length()) : w;
      });
      case "leetspeak" -> leetspeak(text);
      default -> throw new IllegalArgumentException("no text rule for task " + task);
    };
  }

  private static String words(String text, java.util.function.UnaryOperator<String> f) {
    List<String> out = new ArrayList<>();
    for (String w : text.split(" ", -1)) {
      out.add(f.apply(w));
    }
    return String.join(" ", out);
  }

  private static String stripPunct(String w) {
    int end = w.length();
    while (end > 0 && ".,!?".indexOf(w.charAt(end - 1)) >= 0) {
      end--;
    }
    return w.substring(0, end);
  }

  static String pigLatin(String word) {
    String core = stripPunct(word);
    String punct = word.substring(core.length());
    if (core.isEmpty() || !core.chars().allMatch(Character::isLetter)) {
      return word;
    }
    String w = core.toLowerCase(Locale.ROOT);
    if ("aeiou".indexOf(w.charAt(0)) >= 0) {
      return w + "way" + punct;
    }
    int k = 0;
    while (k < w.length() && "aeiou".indexOf(w.charAt(k)) < 0) {
      k++;
    }
    return w.substring(k) + w.substring(0, k) + "ay" + punct;
  }

  private static final String[] ONES = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
      "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
      "nineteen"};
  private static final String[] TENS = {"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
      "ninety"};

  static String numberWords(int n) {
    if (n < 20) {
      return ONES[n];
    }
    return TENS[n / 10] + (n % 10 == 0 ? "" : "-" + ONES[n % 10]);
  }

  private static final Map<Character, Character> LEET =
      Map.of('a', '4', 'e', '3', 'i', '1', 'o', '0', 's', '5', 't', '7');

  static String leetspeak(String text) {
    StringBuilder b = new StringBuilder();
    for (char ch : text.toCharArray()) {
      b.append(LEET.getOrDefault(Character.toLowerCase(ch), ch));
    }
    return b.toString();
  }
}
