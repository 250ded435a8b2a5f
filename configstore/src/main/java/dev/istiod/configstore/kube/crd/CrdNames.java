package dev.istiod.configstore.kube.crd;

import dev.istiod.model.Kind;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * How users see an Istio kind through {@code kubectl}: its short names, categories and printer
 * columns, and whether {@code spec} is required. These are upstream's values (its generated
 * CRDs), so {@code kubectl get vs} and {@code kubectl get istio-io} work as they do with Istio.
 *
 * @param shortNames e.g. {@code vs}; empty for kinds upstream gives none
 * @param columns printer columns before and after the standard {@code Age} column, in
 *     upstream's order ({@code Age} is one of them)
 * @param specRequired upstream requires {@code spec} for ServiceEntry, WorkloadEntry,
 *     WorkloadGroup and WasmPlugin
 */
record CrdNames(Kind kind, List<String> shortNames, List<Column> columns, boolean specRequired) {
  /** One {@code additionalPrinterColumns} entry. */
  record Column(String name, String jsonPath, String type, String description) {
    Column {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(jsonPath, "jsonPath");
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(description, "description");
    }
  }

  static final Column AGE = new Column("Age", ".metadata.creationTimestamp", "date",
      "When the object was created (RFC 3339, UTC), as the apiserver recorded it.");

  CrdNames {
    Objects.requireNonNull(kind, "kind");
    shortNames = List.copyOf(shortNames);
    columns = List.copyOf(columns);
  }

  /** The names of an Istio kind; kinds upstream decorates with nothing get only {@code Age}. */
  static CrdNames of(Kind kind) {
    return switch (kind) {
      case VIRTUAL_SERVICE -> new CrdNames(kind, List.of("vs"), List.of(
          new Column("Gateways", ".spec.gateways", "string",
              "The gateways and sidecars that apply these routes."),
          new Column("Hosts", ".spec.hosts", "string", "The destination hosts these routes apply to."),
          AGE), false);
      case DESTINATION_RULE -> new CrdNames(kind, List.of("dr"), List.of(
          new Column("Host", ".spec.host", "string", "The service this rule applies to."), AGE), false);
      case GATEWAY -> new CrdNames(kind, List.of("gw"), List.of(), false);
      case SERVICE_ENTRY -> new CrdNames(kind, List.of("se"), List.of(
          new Column("Hosts", ".spec.hosts", "string", "The hosts of the service entry."),
          new Column("Location", ".spec.location", "string",
              "Whether the service is outside the mesh (MESH_EXTERNAL) or part of it (MESH_INTERNAL)."),
          new Column("Resolution", ".spec.resolution", "string",
              "How the hosts are resolved (NONE, STATIC, DNS or DNS_ROUND_ROBIN)."),
          AGE), true);
      case WORKLOAD_ENTRY -> new CrdNames(kind, List.of("we"), List.of(
          AGE, new Column("Address", ".spec.address", "string", "The workload's network address.")), true);
      case WORKLOAD_GROUP -> new CrdNames(kind, List.of("wg"), List.of(AGE), true);
      case SIDECAR, ENVOY_FILTER -> new CrdNames(kind, List.of(), List.of(), false);
      case REQUEST_AUTHENTICATION -> new CrdNames(kind, List.of("ra"), List.of(), false);
      case AUTHORIZATION_POLICY -> new CrdNames(kind, List.of("ap"), List.of(
          new Column("Action", ".spec.action", "string", "What the policy does to matching requests."),
          AGE), false);
      case PEER_AUTHENTICATION -> new CrdNames(kind, List.of("pa"), List.of(
          new Column("Mode", ".spec.mtls.mode", "string", "The mutual TLS mode of the workloads."),
          AGE), false);
      case PROXY_CONFIG -> new CrdNames(kind, List.of(), List.of(), false);
      case TELEMETRY -> new CrdNames(kind, List.of("telemetry"), List.of(AGE), false);
      case WASM_PLUGIN -> new CrdNames(kind, List.of(), List.of(AGE), true);
      case SERVICE, ENDPOINTS, MESH_CONFIG, SECRET ->
          throw new IllegalArgumentException(kind + " is not an Istio config kind; it has no CRD");
    };
  }

  /** {@code virtualservices.networking.istio.io}. */
  String crdName() {
    return kind.plural() + "." + kind.group();
  }

  String singular() {
    return kind.kindName().toLowerCase(Locale.ROOT);
  }

  String listKind() {
    return kind.kindName() + "List";
  }

  /** {@code istio-io} and the group's own category, e.g. {@code networking-istio-io}. */
  List<String> categories() {
    return List.of("istio-io", kind.group().replace('.', '-'));
  }
}
