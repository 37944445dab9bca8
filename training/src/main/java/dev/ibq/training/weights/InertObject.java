package dev.ibq.training.weights;

import java.util.Arrays;
import java.util.LinkedHashMap;

/**
 * An instance of an allow-listed metadata class from a checkpoint's pickle (for example Lightning's
 * {@code AttributeDict} or {@code pathlib.PosixPath}), kept as inert data: its class name, the arguments the pickle
 * would have called it with, and its state. Nothing of the class is ever executed; dict items set on it land in the
 * map itself.
 */
public final class InertObject extends LinkedHashMap<Object, Object> {
  private static final long serialVersionUID = 1L;

  private final String className;
  private final transient Object[] arguments;
  private transient Object state;

  InertObject(String className, Object[] arguments) {
    this.className = className;
    this.arguments = arguments.clone();
  }

  /** {@code module.name} of the class in the pickle. */
  public String className() {
    return className;
  }

  /** The arguments of the pickled constructor call. */
  public Object[] arguments() {
    return arguments.clone();
  }

  /** The pickled state (BUILD), or null. */
  public Object state() {
    return state;
  }

  void setState(Object state) {
    this.state = state;
  }

  @Override
  public boolean equals(Object o) {
    return this == o;
  }

  @Override
  public int hashCode() {
    return System.identityHashCode(this);
  }

  @Override
  public String toString() {
    return className + Arrays.toString(arguments);
  }
}
