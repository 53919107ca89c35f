package dev.portcheck.comparator.report;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One probe as it was fed.
 *
 * @param label the probe's label
 * @param inputs each input, by position
 * @param conversions layout conversions made for models whose layout differs from the reference
 */
public record ProbeReport(String label, List<Input> inputs, List<LayoutConversion> conversions) {
  public ProbeReport {
    inputs = List.copyOf(inputs);
    conversions = List.copyOf(conversions);
  }

  /**
   * One probe input.
   *
   * @param position its position in every model's input list
   * @param names its name in each model, by model id
   * @param shape its shape in the reference layout
   * @param layout the reference layout
   * @param dtype element type fed
   * @param spec how it was filled ({@code ones}, {@code random:0}, {@code value:16000})
   */
  public record Input(
      int position,
      Map<String, String> names,
      List<Long> shape,
      String layout,
      String dtype,
      String spec) {
    public Input {
      names = Collections.unmodifiableMap(new LinkedHashMap<>(names));
      shape = List.copyOf(shape);
    }
  }
}
