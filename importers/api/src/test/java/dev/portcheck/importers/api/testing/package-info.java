/** Test support shared by every module's tests: the fixture manifest and the third-party models. */
package dev.portcheck.importers.api.testing;
