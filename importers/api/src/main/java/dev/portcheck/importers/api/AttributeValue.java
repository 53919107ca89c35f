package dev.portcheck.importers.api;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** A typed layer attribute: epsilon, strides, padding mode, activation kind and the like. */
public sealed interface AttributeValue {

  /** A human-readable rendering, stable enough for reports and failure messages. */
  String render();

  /** A floating scalar (epsilon, momentum, alpha). */
  record Float(double value) implements AttributeValue {
    @Override
    public String render() {
      return Double.toString(value);
    }
  }

  /** An integer scalar (group, axis). */
  record Int(long value) implements AttributeValue {
    @Override
    public String render() {
      return Long.toString(value);
    }
  }

  /** A string (padding mode, activation kind, resize coordinate mode). */
  record Str(String value) implements AttributeValue {
    @Override
    public String render() {
      return value;
    }
  }

  /** A list of integers (strides, pads, dilations, kernel shape). */
  record Ints(List<Long> values) implements AttributeValue {
    public Ints {
      values = List.copyOf(values);
    }

    @Override
    public String render() {
      return values.toString();
    }
  }

  /** A list of floats (scales). */
  record Floats(List<Double> values) implements AttributeValue {
    public Floats {
      values = List.copyOf(values);
    }

    @Override
    public String render() {
      return values.stream().map(String::valueOf).collect(Collectors.joining(", ", "[", "]"));
    }
  }

  /** A boolean flag (half_pixel_centers, align_corners). */
  record Bool(boolean value) implements AttributeValue {
    @Override
    public String render() {
      return Boolean.toString(value).toLowerCase(Locale.ROOT);
    }
  }

  static AttributeValue of(double v) {
    return new Float(v);
  }

  static AttributeValue of(long v) {
    return new Int(v);
  }

  static AttributeValue of(String v) {
    return new Str(v);
  }

  static AttributeValue of(boolean v) {
    return new Bool(v);
  }

  static AttributeValue ints(List<Long> v) {
    return new Ints(v);
  }
}
