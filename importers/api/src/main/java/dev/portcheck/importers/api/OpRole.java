package dev.portcheck.importers.api;

/**
 * What a layer does beyond its {@link OpKind}, where the comparator must know it and the kind does
 * not say: declared by the importer, which knows its framework's op names, so that the comparator
 * never matches op-type strings.
 */
public enum OpRole {
  /**
   * Adds a bias vector along the channel axis (TensorFlow's {@code BiasAdd}): element-wise, and the
   * end of a MatMul/Conv chain that another framework computes in one layer.
   */
  BIAS_ADD,
  /**
   * Pads with the input's own values (TensorFlow's {@code MirrorPad}: reflect or symmetric), never
   * zeros, whatever its attributes say: it cannot stand for a convolution's own zero padding.
   */
  EDGE_PAD,
  /**
   * Reads rows of a table by integer index (torch's {@code nn.Embedding}, ONNX's {@code Gather} on
   * a 2-D table, TensorFlow's {@code GatherV2} and Keras' {@code Embedding}): the layers that pair
   * with each other across frameworks, and the table whose row count bounds the token ids fed to
   * the input it reads.
   */
  LOOKUP,
  /**
   * The error function ({@code Erf}): in a GELU written out as element-wise ops it marks the exact
   * form, where a {@code Tanh} marks the approximation.
   */
  ERF
}
