package dev.ibq.training.importer;

/** Finds the python3 with torch that the reference fixture scripts need, for tests outside this package. */
public final class PythonForTests {
  private PythonForTests() {}

  /** $IBQ_PYTHON, /usr/bin/python3 or python3 when it imports torch, numpy, yaml and PIL; null otherwise. */
  public static String withTorch() {
    return ReferenceRoundTripTest.pythonWithTorch();
  }
}
