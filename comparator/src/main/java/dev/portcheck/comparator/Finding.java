package dev.portcheck.comparator;

/**
 * Why a layer or output parts ways with the reference: typed data that renderers word (the
 * comparator writes no sentences). Each finding names the layer by the reference's name for it and
 * the model that differs.
 */
public sealed interface Finding
    permits AttributeFinding, WeightFinding, ActivationFinding, OutputFinding {

  /** The layer (or output) as the reference names it. */
  String layer();

  /** The model that parts ways with the reference. */
  String modelId();

  /** The cause reported for this finding. */
  default Cause cause() {
    if (this instanceof AttributeFinding) {
      return Cause.ATTRIBUTE;
    }
    return this instanceof WeightFinding ? Cause.WEIGHTS : Cause.ACTIVATION;
  }
}
