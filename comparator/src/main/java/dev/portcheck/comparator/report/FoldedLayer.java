package dev.portcheck.comparator.report;

/**
 * A BatchNorm of one model that another model folded into the preceding convolution.
 *
 * @param bnModelId the model that keeps the BatchNorm
 * @param batchNorm its BatchNorm layer
 * @param conv its convolution before the BatchNorm
 * @param foldedModelId the model that folded it
 * @param foldedConv the folded convolution in that model
 * @param declaredEpsilon the BatchNorm's epsilon (NaN when it declares none)
 * @param inferredEpsilon the epsilon that explains the folded weights, 3 significant digits
 */
public record FoldedLayer(
    String bnModelId,
    String batchNorm,
    String conv,
    String foldedModelId,
    String foldedConv,
    double declaredEpsilon,
    double inferredEpsilon) {}
