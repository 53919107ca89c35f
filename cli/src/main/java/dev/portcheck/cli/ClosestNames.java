package dev.portcheck.cli;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;

/**
 * The names closest to one the user typed that matches none, for "did you mean" hints: by edit
 * distance (case ignored), then by the longest common prefix, then in the order given (graph
 * order), so that {@code bn_2} suggests {@code bn2} before {@code bn1}.
 */
final class ClosestNames {
  private ClosestNames() {}

  /** Up to {@code max} of {@code names} close to {@code typed}; empty when none is close. */
  static List<String> closest(String typed, Collection<String> names, int max) {
    String t = typed.toLowerCase(Locale.ROOT);
    // Within a third of the name's length (at least 2 edits), or one name inside the other: a
    // layer named by its last path element (bn2 for layer1/bn2) is a likely meaning too.
    int limit = Math.max(2, t.length() / 3);
    record Candidate(String name, int distance, int prefix, int order) {}
    List<Candidate> candidates = new ArrayList<>();
    int order = 0;
    for (String name : new LinkedHashSet<>(names)) {
      String n = name.toLowerCase(Locale.ROOT);
      int d = distance(t, n);
      boolean contains = !t.isEmpty() && (n.contains(t) || (n.length() >= 2 && t.contains(n)));
      if (d <= limit || contains) {
        candidates.add(new Candidate(name, d, commonPrefix(t, n), order));
      }
      order++;
    }
    return candidates.stream()
        .sorted(
            Comparator.comparingInt(Candidate::distance)
                .thenComparing(Comparator.comparingInt(Candidate::prefix).reversed())
                .thenComparingInt(Candidate::order))
        .limit(max)
        .map(Candidate::name)
        .toList();
  }

  /** Levenshtein distance: insertions, deletions and substitutions of one character each. */
  static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] swap = prev;
      prev = cur;
      cur = swap;
    }
    return prev[b.length()];
  }

  private static int commonPrefix(String a, String b) {
    int i = 0;
    while (i < a.length() && i < b.length() && a.charAt(i) == b.charAt(i)) {
      i++;
    }
    return i;
  }
}
