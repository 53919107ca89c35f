package dev.portcheck.comparator;

import dev.portcheck.importers.api.PortcheckException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * How one probe input is filled: {@code ones}, {@code zeros}, {@code random:SEED} (standard normal
 * from {@link java.util.Random#nextGaussian()}, deterministic for a seed), or an {@code .npy} file
 * (or its bytes) holding the values in the reference model's layout.
 */
public sealed interface ProbeSpec {

  /** A short text that {@link #parse} reads back. */
  String describe();

  /** Every element 1. */
  record Ones() implements ProbeSpec {
    @Override
    public String describe() {
      return "ones";
    }
  }

  /** Every element 0. */
  record Zeros() implements ProbeSpec {
    @Override
    public String describe() {
      return "zeros";
    }
  }

  /** Standard-normal values from a seeded generator. */
  record Random(long seed) implements ProbeSpec {
    @Override
    public String describe() {
      return "random:" + seed;
    }
  }

  /** Values read from a numpy file (in the reference model's layout). */
  record NpyFile(Path path) implements ProbeSpec {
    public NpyFile {
      Objects.requireNonNull(path, "path");
    }

    @Override
    public String describe() {
      return "npy:" + path;
    }
  }

  /**
   * Values of a {@code .npy} file held in memory (a baseline embeds its samples), read as {@link
   * NpyFile} reads the file.
   *
   * @param source the file the bytes came from, for reports and messages
   * @param npy the file's bytes (not copied: the caller hands them over)
   */
  record NpyBytes(String source, byte[] npy) implements ProbeSpec {
    public NpyBytes {
      Objects.requireNonNull(source, "source");
      Objects.requireNonNull(npy, "npy");
    }

    @Override
    public String describe() {
      return "npy:" + source;
    }
  }

  /** The all-ones probe. */
  ProbeSpec ONES = new Ones();

  /** The all-zeros probe. */
  ProbeSpec ZEROS = new Zeros();

  /**
   * Reads {@code ones}, {@code zeros}, {@code random} (seed 0), {@code random:SEED}, {@code
   * npy:PATH} or a path ending in {@code .npy}.
   *
   * @throws PortcheckException USAGE for anything else
   */
  static ProbeSpec parse(String text) {
    String t = text.strip();
    String lower = t.toLowerCase(Locale.ROOT);
    if (lower.equals("ones")) {
      return ONES;
    }
    if (lower.equals("zeros")) {
      return ZEROS;
    }
    if (lower.equals("random")) {
      return new Random(0);
    }
    if (lower.startsWith("random:")) {
      try {
        return new Random(Long.parseLong(t.substring("random:".length()).strip()));
      } catch (NumberFormatException e) {
        throw PortcheckException.usage(
            "probe '" + text + "': the seed after 'random:' must be an integer, e.g. random:0");
      }
    }
    if (lower.startsWith("npy:")) {
      return new NpyFile(Path.of(t.substring(4)));
    }
    if (lower.endsWith(".npy")) {
      return new NpyFile(Path.of(t));
    }
    throw PortcheckException.usage(
        "probe '"
            + text
            + "' is not understood; use ones, zeros, random:SEED or a .npy file (npy:PATH)");
  }
}
