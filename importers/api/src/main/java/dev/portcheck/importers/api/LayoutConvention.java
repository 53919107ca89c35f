package dev.portcheck.importers.api;

/**
 * How a framework lays out 4-D tensors whose producer declares no layout (TorchScript modules
 * declare none and have no static shapes): declared by each importer, so that the comparator
 * resolves every activation's layout one way and never switches on the framework.
 *
 * @param input the layout of an undeclared 4-D model input
 * @param activation the layout of an undeclared 4-D layer output; {@link Layout#UNSPECIFIED} when
 *     the framework has no single convention (ONNX graphs converted from TensorFlow hold NHWC
 *     tensors between their Transpose nodes)
 */
public record LayoutConvention(Layout input, Layout activation) {
  /** No convention: undeclared layouts stay {@link Layout#UNSPECIFIED}. */
  public static final LayoutConvention NONE =
      new LayoutConvention(Layout.UNSPECIFIED, Layout.UNSPECIFIED);

  /** Channels first for inputs and feature maps (PyTorch). */
  public static final LayoutConvention CHANNELS_FIRST =
      new LayoutConvention(Layout.NCHW, Layout.NCHW);

  /** Channels last for inputs and feature maps (TensorFlow, Keras). */
  public static final LayoutConvention CHANNELS_LAST =
      new LayoutConvention(Layout.NHWC, Layout.NHWC);

  public LayoutConvention {
    java.util.Objects.requireNonNull(input, "input");
    java.util.Objects.requireNonNull(activation, "activation");
  }

  /** {@code declared}, or this convention's layout for an undeclared input of {@code rank}. */
  public Layout ofInput(Layout declared, int rank) {
    return declared != Layout.UNSPECIFIED || rank != 4 ? declared : input;
  }

  /** {@code declared}, or this convention's layout for an undeclared activation of {@code rank}. */
  public Layout ofActivation(Layout declared, int rank) {
    return declared != Layout.UNSPECIFIED || rank != 4 ? declared : activation;
  }
}
