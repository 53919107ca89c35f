package dev.portcheck.cli;

import dev.portcheck.comparator.ProbeSpec;
import dev.portcheck.comparator.Tolerance;
import dev.portcheck.importers.api.PortcheckException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The typed values of options that picocli cannot type by itself, each with its converter: a bad
 * value is then a usage error picocli reports while parsing ({@code Invalid value for option
 * '--shape' (NAME=DIMS): …}, exit 2), naming the option and the form it expects, before any model
 * is opened.
 */
final class OptionValues {
  private OptionValues() {}

  /**
   * {@code --shape NAME=DIMS}: an input's shape where no model declares it.
   *
   * @param name the input's name in any model
   * @param dims its sizes, each positive
   */
  record Shape(String name, List<Long> dims) {
    Shape {
      dims = List.copyOf(dims);
    }

    /** The sizes as {@link dev.portcheck.comparator.CompareOptions.Builder#shape} takes them. */
    long[] array() {
      return dims.stream().mapToLong(Long::longValue).toArray();
    }

    /** Parses {@code x=1,3,224,224}. */
    static final class Converter implements ITypeConverter<Shape> {
      @Override
      public Shape convert(String text) {
        String[] kv = nameAndValue(text, "NAME=DIMS, e.g. --shape x=1,3,224,224");
        List<Long> dims = new ArrayList<>();
        for (String part : kv[1].split(",", -1)) {
          Long d = parseLong(part);
          if (d == null || d <= 0) {
            throw new TypeConversionException(
                "'"
                    + text
                    + "': sizes must be positive integers separated by commas, e.g. --shape "
                    + kv[0]
                    + "=1,3,224,224");
          }
          dims.add(d);
        }
        return new Shape(kv[0], dims);
      }
    }
  }

  /**
   * {@code --value NAME=N}: the value of an integer input.
   *
   * @param name the input's name in any model
   * @param value the value fed
   */
  record IntegerValue(String name, long value) {
    /** Parses {@code sr=16000}. */
    static final class Converter implements ITypeConverter<IntegerValue> {
      @Override
      public IntegerValue convert(String text) {
        String[] kv = nameAndValue(text, "NAME=N, e.g. --value sr=16000");
        Long v = parseLong(kv[1]);
        if (v == null) {
          throw new TypeConversionException(
              "'" + text + "': the value must be an integer, e.g. --value " + kv[0] + "=16000");
        }
        return new IntegerValue(kv[0], v);
      }
    }
  }

  /**
   * {@code --input [NAME=]SPEC}: one input of a probe, or a whole probe.
   *
   * @param name the input's name or position, empty for a bare SPEC (every input)
   * @param spec how it is filled
   */
  record Input(String name, ProbeSpec spec) {
    /** Parses {@code ones}, {@code random:3}, {@code x=zeros}, {@code sample.npy}. */
    static final class Converter implements ITypeConverter<Input> {
      @Override
      public Input convert(String text) {
        int eq = text.indexOf('=');
        String name = eq < 0 ? "" : text.substring(0, eq).strip();
        try {
          return new Input(name, ProbeSpec.parse(eq < 0 ? text : text.substring(eq + 1)));
        } catch (PortcheckException e) {
          throw new TypeConversionException(e.getMessage());
        }
      }
    }
  }

  /**
   * {@code --layer-tolerance LAYER=ATOL[,RTOL]}: a tolerance for one layer.
   *
   * @param layer the layer's name in any model or the baseline
   * @param tolerance its tolerance; the relative one defaults to the global default
   */
  record LayerTolerance(String layer, Tolerance tolerance) {
    /** Parses {@code norm2=1e-3,1e-2}; the layer name is what precedes the last {@code =}. */
    static final class Converter implements ITypeConverter<LayerTolerance> {
      @Override
      public LayerTolerance convert(String text) {
        int eq = text.lastIndexOf('=');
        if (eq <= 0) {
          throw new TypeConversionException(
              "'" + text + "': expected LAYER=ATOL[,RTOL], e.g. --layer-tolerance norm2=1e-3,1e-2");
        }
        String[] parts = text.substring(eq + 1).split(",", -1);
        Double atol = parseDouble(parts[0]);
        Double rtol = parts.length > 1 ? parseDouble(parts[1]) : Tolerance.DEFAULT.rtol();
        if (parts.length > 2 || atol == null || rtol == null) {
          throw new TypeConversionException(
              "'"
                  + text
                  + "': expected LAYER=ATOL[,RTOL] with numbers, e.g. --layer-tolerance norm2=1e-3,1e-2");
        }
        if (!(atol >= 0) || !(rtol >= 0) || atol.isInfinite() || rtol.isInfinite()) {
          throw new TypeConversionException(
              "'"
                  + text
                  + "': tolerances must be finite and >= 0, got atol="
                  + atol
                  + " rtol="
                  + rtol);
        }
        return new LayerTolerance(text.substring(0, eq), new Tolerance(atol, rtol));
      }
    }
  }

  /**
   * {@code --max-memory SIZE}: a memory limit.
   *
   * @param bytes the limit in bytes, positive
   */
  record MemorySize(long bytes) {
    /** Parses {@code 512M}, {@code 8G}, {@code 1.5g}, {@code 2GiB}, {@code 1000000} (bytes). */
    static final class Converter implements ITypeConverter<MemorySize> {
      @Override
      public MemorySize convert(String text) {
        String t = text.strip().toUpperCase(Locale.ROOT).replaceAll("I?B$", "");
        long unit = 1;
        if (t.endsWith("K")) {
          unit = 1L << 10;
        } else if (t.endsWith("M")) {
          unit = 1L << 20;
        } else if (t.endsWith("G")) {
          unit = 1L << 30;
        } else if (t.endsWith("T")) {
          unit = 1L << 40;
        }
        Double v = parseDouble(unit == 1 ? t : t.substring(0, t.length() - 1));
        if (v == null || !(v > 0) || v * unit > Long.MAX_VALUE) {
          throw new TypeConversionException(
              "'" + text + "': expected a size such as 512M, 8G or 1.5G");
        }
        return new MemorySize((long) (v * unit));
      }
    }
  }

  /** {@code --atol}, {@code --rtol}: a finite number, zero or more. */
  static final class NonNegative implements ITypeConverter<Double> {
    @Override
    public Double convert(String text) {
      Double v = parseDouble(text);
      if (v == null || !(v >= 0) || v.isInfinite()) {
        throw new TypeConversionException(
            "'" + text + "': a tolerance is a finite number >= 0, e.g. 1e-4");
      }
      return v;
    }
  }

  /** {@code NAME=VALUE} split at the first {@code =}, both non-empty. */
  private static String[] nameAndValue(String text, String expected) {
    int eq = text.indexOf('=');
    if (eq <= 0 || eq == text.length() - 1) {
      throw new TypeConversionException("'" + text + "': expected " + expected);
    }
    return new String[] {text.substring(0, eq).strip(), text.substring(eq + 1).strip()};
  }

  private static Long parseLong(String s) {
    try {
      return Long.parseLong(s.strip());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static Double parseDouble(String s) {
    try {
      return Double.parseDouble(s.strip());
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
