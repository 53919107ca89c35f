package dev.portcheck.comparator;

import dev.portcheck.importers.api.Framework;
import dev.portcheck.importers.api.Tensor;
import java.util.Random;

/**
 * The test network, conv1-bn1-relu1-conv2-bn2-relu2-pool-fc, with seeded random parameters; bn2's
 * variances are small so that an epsilon of 1e-3 instead of 1e-5 shows, as in real ports.
 */
final class Cnn {
  final Tensor w1;
  final Tensor b1;
  final Tensor w2;
  final Tensor b2;
  final Tensor fw;
  final Tensor fb;
  final Tensor[] bn1;
  final Tensor[] bn2;

  Cnn(long seed) {
    Random r = new Random(seed);
    w1 = randn(r, 0.3, 4, 3, 3, 3);
    b1 = randn(r, 0.1, 4);
    w2 = randn(r, 0.3, 4, 4, 3, 3);
    b2 = randn(r, 0.1, 4);
    fw = randn(r, 0.5, 5, 4);
    fb = randn(r, 0.1, 5);
    bn1 =
        new Tensor[] {
          uniform(r, 0.5, 1.5, 4), randn(r, 0.2, 4), randn(r, 0.2, 4), uniform(r, 0.5, 1.5, 4)
        };
    bn2 =
        new Tensor[] {
          uniform(r, 0.5, 1.5, 4), randn(r, 0.2, 4), randn(r, 0.2, 4), uniform(r, 0.0005, 0.003, 4)
        };
  }

  static Tensor randn(Random r, double scale, long... shape) {
    float[] d = new float[(int) Tensor.elementCount(shape)];
    for (int i = 0; i < d.length; i++) {
      d[i] = (float) (r.nextGaussian() * scale);
    }
    return Tensor.ofFloats(shape, d);
  }

  static Tensor uniform(Random r, double lo, double hi, long... shape) {
    float[] d = new float[(int) Tensor.elementCount(shape)];
    for (int i = 0; i < d.length; i++) {
      d[i] = (float) (lo + r.nextDouble() * (hi - lo));
    }
    return Tensor.ofFloats(shape, d);
  }

  /** PyTorch-like: module paths, state_dict names, no declared input shape. */
  FakeModel.Builder torch(double eps2) {
    return FakeModel.builder(Framework.PYTORCH)
        .input("x", 1, 3, 8, 8)
        .undeclaredShape()
        .conv("conv1", "conv1.", w1, b1)
        .bn("bn1", "bn1.", bn1, 1e-5)
        .relu("relu1")
        .conv("conv2", "conv2.", w2, b2)
        .bn("bn2", "bn2.", bn2, eps2)
        .relu("relu2")
        .gap("pool")
        .linear("fc", "fc.", fw, fb);
  }

  /** ONNX exported with BatchNorm kept (TrainingMode.PRESERVE): state_dict initializer names. */
  FakeModel.Builder onnx(double eps2) {
    return FakeModel.builder(Framework.ONNX)
        .input("input", 1, 3, 8, 8)
        .outputName("logits")
        .conv("/conv1/Conv", "conv1.", w1, b1)
        .bn("/bn1/BatchNormalization", "bn1.", bn1, 1e-5)
        .relu("/relu1/Relu")
        .conv("/conv2/Conv", "conv2.", w2, b2)
        .bn("/bn2/BatchNormalization", "bn2.", bn2, eps2)
        .relu("/relu2/Relu")
        .gap("/pool/GlobalAveragePool")
        .linear("/fc/Gemm", "fc.", fw, fb);
  }

  /** ONNX exported in eval mode: both BatchNorms folded into the convs, anonymous names. */
  FakeModel.Builder onnxFolded(double eps1, double eps2) {
    return FakeModel.builder(Framework.ONNX)
        .input("input", 1, 3, 8, 8)
        .foldedConv("/conv1/Conv", "onnx::Conv_12", w1, b1, bn1, eps1)
        .relu("/relu1/Relu")
        .foldedConv("/conv2/Conv", "onnx::Conv_15", w2, b2, bn2, eps2)
        .relu("/relu2/Relu")
        .gap("/pool/GlobalAveragePool")
        .linear("/fc/Gemm", "fc.", fw, fb);
  }

  /**
   * Keras-like, channels-last. {@code autoNames} gives Keras' default variable names (conv2d,
   * batch_normalization), which share nothing with PyTorch's, so only values can align them.
   */
  FakeModel.Builder keras(double eps2, boolean autoNames, Tensor conv2Weight) {
    String c1 = autoNames ? "conv2d/" : "cnn/conv1/";
    String n1 = autoNames ? "batch_normalization/" : "cnn/bn1/";
    String c2 = autoNames ? "conv2d_1/" : "cnn/conv2/";
    String n2 = autoNames ? "batch_normalization_1/" : "cnn/bn2/";
    String d = autoNames ? "dense/" : "cnn/fc/";
    return FakeModel.builder(Framework.TENSORFLOW)
        .input("inputs", 1, 3, 8, 8)
        .conv("cnn/conv1/Conv2D", c1, w1, b1)
        .bn("cnn/bn1/FusedBatchNormV3", n1, bn1, 1e-5)
        .relu("cnn/relu1/Relu")
        .conv("cnn/conv2/Conv2D", c2, conv2Weight == null ? w2 : conv2Weight, b2)
        .bn("cnn/bn2/FusedBatchNormV3", n2, bn2, eps2)
        .relu("cnn/relu2/Relu")
        .gap("cnn/pool/Mean")
        .linear("cnn/fc/MatMul", d, fw, fb);
  }
}
