package dev.portcheck.comparator.maps;

import java.util.List;
import java.util.Objects;

/**
 * One model's activation at one layer, reduced for display: up to {@link
 * FeatureMapCapture#MAX_CHANNELS} channels, each average-pooled to at most {@link
 * FeatureMapCapture#MAX_SIDE} pixels a side.
 *
 * @param modelId the model ({@code m0}, {@code m1})
 * @param layer the model's own name of the layer
 * @param probe the probe that was fed
 * @param shape the activation's full shape in the model's layout
 * @param layout how the shape was read ({@code NCHW}, {@code NHWC}, {@code sequence}, {@code
 *     vector})
 * @param channels total number of channels
 * @param height height of each shown map
 * @param width width of each shown map
 * @param maps shown channels in order, each {@code height * width} values, row-major
 */
public record FeatureMaps(
    String modelId,
    String layer,
    String probe,
    List<Long> shape,
    String layout,
    int channels,
    int height,
    int width,
    List<float[]> maps) {
  public FeatureMaps {
    Objects.requireNonNull(modelId, "modelId");
    shape = List.copyOf(shape);
    maps = List.copyOf(maps);
  }
}
