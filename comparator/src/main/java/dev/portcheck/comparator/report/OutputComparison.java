package dev.portcheck.comparator.report;

/**
 * One model output compared with the reference model's output at the same position.
 *
 * @param modelId the compared model
 * @param name its output name
 * @param referenceName the reference's output name
 * @param metrics the comparison over every probe
 */
public record OutputComparison(
    String modelId, String name, String referenceName, PairMetrics metrics) {}
