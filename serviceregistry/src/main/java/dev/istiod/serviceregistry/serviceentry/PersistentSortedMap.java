package dev.istiod.serviceregistry.serviceentry;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.UnaryOperator;

/**
 * An immutable sorted map whose {@link #with} and {@link #without} return a new map that shares
 * all but O(log n) nodes with the old one (a path-copying AVL tree). It lets the ServiceEntry
 * registry publish a new immutable snapshot per event at a cost that does not grow with the
 * number of unrelated entries; readers of an older snapshot are never affected.
 *
 * <p>Null keys and values are rejected. Iteration is in key order.
 */
final class PersistentSortedMap<K, V> {
  private record Node<K, V>(K key, V value, Node<K, V> left, Node<K, V> right, int height, int size) {}

  private static final PersistentSortedMap<?, ?> EMPTY_NATURAL =
      new PersistentSortedMap<>(null, naturalOrder());

  private final Node<K, V> root;
  private final Comparator<? super K> order;

  private PersistentSortedMap(Node<K, V> root, Comparator<? super K> order) {
    this.root = root;
    this.order = order;
  }

  /** The empty map of naturally ordered ({@link Comparable}) keys. */
  @SuppressWarnings("unchecked")
  static <K extends Comparable<? super K>, V> PersistentSortedMap<K, V> empty() {
    return (PersistentSortedMap<K, V>) EMPTY_NATURAL;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static <K> Comparator<K> naturalOrder() {
    return (Comparator) Comparator.naturalOrder();
  }

  int size() {
    return root == null ? 0 : root.size;
  }

  boolean isEmpty() {
    return root == null;
  }

  /** The value of {@code key}, or null. O(log n). */
  V get(K key) {
    Node<K, V> n = root;
    while (n != null) {
      int c = order.compare(key, n.key);
      if (c == 0) {
        return n.value;
      }
      n = c < 0 ? n.left : n.right;
    }
    return null;
  }

  /** This map with {@code key} mapped to {@code value}; this map itself if it already was. O(log n). */
  PersistentSortedMap<K, V> with(K key, V value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    Node<K, V> next = put(root, key, value);
    return next == root ? this : new PersistentSortedMap<>(next, order);
  }

  /** This map without {@code key}; this map itself if it had no such key. O(log n). */
  PersistentSortedMap<K, V> without(K key) {
    Node<K, V> next = remove(root, key);
    return next == root ? this : new PersistentSortedMap<>(next, order);
  }

  /**
   * This map with the value of {@code key} replaced by {@code change(old)} (old = null when
   * absent); a null result removes the key.
   */
  PersistentSortedMap<K, V> update(K key, UnaryOperator<V> change) {
    V old = get(key);
    V next = change.apply(old);
    if (next == old) {
      return this;
    }
    return next == null ? without(key) : with(key, next);
  }

  /** Calls {@code action} for every entry in key order. */
  void forEach(BiConsumer<? super K, ? super V> action) {
    Deque<Node<K, V>> stack = new ArrayDeque<>();
    Node<K, V> n = root;
    while (n != null || !stack.isEmpty()) {
      while (n != null) {
        stack.push(n);
        n = n.left;
      }
      n = stack.pop();
      action.accept(n.key, n.value);
      n = n.right;
    }
  }

  /** The values in key order, as a new immutable list. O(n). */
  List<V> values() {
    List<V> out = new ArrayList<>(size());
    forEach((k, v) -> out.add(v));
    return List.copyOf(out);
  }

  /** The keys in key order, as a new immutable list. O(n). */
  List<K> keys() {
    List<K> out = new ArrayList<>(size());
    forEach((k, v) -> out.add(k));
    return List.copyOf(out);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    forEach((k, v) -> sb.append(sb.length() > 1 ? ", " : "").append(k).append('=').append(v));
    return sb.append('}').toString();
  }

  private Node<K, V> put(Node<K, V> n, K key, V value) {
    if (n == null) {
      return new Node<>(key, value, null, null, 1, 1);
    }
    int c = order.compare(key, n.key);
    if (c < 0) {
      Node<K, V> left = put(n.left, key, value);
      return left == n.left ? n : balance(n.key, n.value, left, n.right);
    }
    if (c > 0) {
      Node<K, V> right = put(n.right, key, value);
      return right == n.right ? n : balance(n.key, n.value, n.left, right);
    }
    return value == n.value ? n : new Node<>(n.key, value, n.left, n.right, n.height, n.size);
  }

  private Node<K, V> remove(Node<K, V> n, K key) {
    if (n == null) {
      return null;
    }
    int c = order.compare(key, n.key);
    if (c < 0) {
      Node<K, V> left = remove(n.left, key);
      return left == n.left ? n : balance(n.key, n.value, left, n.right);
    }
    if (c > 0) {
      Node<K, V> right = remove(n.right, key);
      return right == n.right ? n : balance(n.key, n.value, n.left, right);
    }
    if (n.left == null) {
      return n.right;
    }
    if (n.right == null) {
      return n.left;
    }
    Node<K, V> successor = n.right;
    while (successor.left != null) {
      successor = successor.left;
    }
    return balance(successor.key, successor.value, n.left, removeMin(n.right));
  }

  private Node<K, V> removeMin(Node<K, V> n) {
    if (n.left == null) {
      return n.right;
    }
    return balance(n.key, n.value, removeMin(n.left), n.right);
  }

  private static int height(Node<?, ?> n) {
    return n == null ? 0 : n.height;
  }

  private static int size(Node<?, ?> n) {
    return n == null ? 0 : n.size;
  }

  private static <K, V> Node<K, V> node(K key, V value, Node<K, V> left, Node<K, V> right) {
    return new Node<>(key, value, left, right, 1 + Math.max(height(left), height(right)),
        1 + size(left) + size(right));
  }

  /** A node over two subtrees whose heights differ by at most two, rotated back into AVL balance. */
  private static <K, V> Node<K, V> balance(K key, V value, Node<K, V> left, Node<K, V> right) {
    int hl = height(left);
    int hr = height(right);
    if (hl > hr + 1) {
      if (height(left.left) >= height(left.right)) {
        return node(left.key, left.value, left.left, node(key, value, left.right, right));
      }
      Node<K, V> lr = left.right;
      return node(lr.key, lr.value, node(left.key, left.value, left.left, lr.left),
          node(key, value, lr.right, right));
    }
    if (hr > hl + 1) {
      if (height(right.right) >= height(right.left)) {
        return node(right.key, right.value, node(key, value, left, right.left), right.right);
      }
      Node<K, V> rl = right.left;
      return node(rl.key, rl.value, node(key, value, left, rl.left),
          node(right.key, right.value, rl.right, right.right));
    }
    return node(key, value, left, right);
  }
}
