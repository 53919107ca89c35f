package dev.portcheck.comparator.labels;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Seeded synthetic classifier outputs and label files for the checker tests. */
final class Synthetic {
  static final List<String> NAMES =
      List.of(
          "tench",
          "goldfish",
          "great white shark",
          "tiger shark",
          "hammerhead",
          "electric ray",
          "stingray",
          "cock",
          "hen",
          "ostrich");

  private Synthetic() {}

  /** {@code probes x classes} logits, roughly N(0, 3^2). */
  static float[][] logits(long seed, int probes, int classes) {
    Random r = new Random(seed);
    float[][] s = new float[probes][classes];
    for (float[] row : s) {
      for (int c = 0; c < classes; c++) {
        row[c] = (float) (3 * r.nextGaussian());
      }
    }
    return s;
  }

  /** Column {@code i} of the result is column {@code perm[i]} of {@code s}. */
  static float[][] gather(float[][] s, int[] perm) {
    float[][] out = new float[s.length][perm.length];
    for (int p = 0; p < s.length; p++) {
      for (int i = 0; i < perm.length; i++) {
        out[p][i] = s[p][perm[i]];
      }
    }
    return out;
  }

  /** {@code k} extra columns (value {@code fill}) before ({@code leading}) or after the others. */
  static float[][] withExtra(float[][] s, int k, boolean leading, float fill) {
    float[][] out = new float[s.length][s[0].length + k];
    for (int p = 0; p < s.length; p++) {
      java.util.Arrays.fill(out[p], fill);
      System.arraycopy(s[p], 0, out[p], leading ? k : 0, s[p].length);
    }
    return out;
  }

  /** Adds uniform noise of amplitude {@code amp}. */
  static float[][] noisy(float[][] s, long seed, double amp) {
    Random r = new Random(seed);
    float[][] out = new float[s.length][];
    for (int p = 0; p < s.length; p++) {
      out[p] = s[p].clone();
      for (int c = 0; c < out[p].length; c++) {
        out[p][c] += (float) (amp * (2 * r.nextDouble() - 1));
      }
    }
    return out;
  }

  static <T> List<T> gather(List<T> names, int[] perm) {
    List<T> out = new ArrayList<>();
    for (int i : perm) {
      out.add(names.get(i));
    }
    return out;
  }

  static LabelFile labels(String file, List<String> names) {
    return new LabelFile(Path.of(file), names);
  }

  static ScoredModel model(String id, float[][] scores, String file, List<String> names) {
    return new ScoredModel(id, scores, labels(file, names));
  }

  static int[] inverse(int[] perm) {
    int[] inv = new int[perm.length];
    for (int i = 0; i < perm.length; i++) {
      inv[perm[i]] = i;
    }
    return inv;
  }

  static List<Integer> boxed(int[] a) {
    return java.util.Arrays.stream(a).boxed().toList();
  }
}
