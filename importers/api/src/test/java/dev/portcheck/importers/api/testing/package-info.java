/** Test support shared by every module's tests: the fixture manifest and the real-model folder. */
package dev.portcheck.importers.api.testing;
