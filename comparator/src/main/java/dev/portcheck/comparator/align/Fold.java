package dev.portcheck.comparator.align;

/**
 * A BatchNorm of one model folded into a Conv of the other. Indices are into each model's layer
 * list; {@code inferredEpsilon} is NaN when the fold was not proven from weight values (a side
 * keeps checksums only).
 *
 * @param bnModel the model that keeps the BatchNorm
 * @param rawConv its conv before the BatchNorm
 * @param bn the BatchNorm
 * @param foldedModel the model that folded it
 * @param foldedConv the conv that absorbed it
 * @param inferredEpsilon the epsilon that explains the folded weights, or NaN
 * @param fit how well the BatchNorm's own epsilon explains the folded weights, measured when the
 *     fold was found; null when it was not proven from weight values
 */
public record Fold(
    int bnModel,
    int rawConv,
    int bn,
    int foldedModel,
    int foldedConv,
    double inferredEpsilon,
    FoldedBatchNorm.Fit fit) {}
