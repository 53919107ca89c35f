/**
 * TensorFlow importer: opens TF2 SavedModel folders and frozen GraphDef files with TensorFlow Java.
 *
 * <p>A TF2 SavedModel keeps its layers inside function bodies called from the serving signature,
 * where a session cannot fetch them. {@link dev.portcheck.importers.tensorflow.TfFlattener} inlines
 * that call tree into one plain GraphDef (variables become constants read from the loaded bundle),
 * so that every layer's output can be fetched in a single {@code Session.run}.
 */
package dev.portcheck.importers.tensorflow;
