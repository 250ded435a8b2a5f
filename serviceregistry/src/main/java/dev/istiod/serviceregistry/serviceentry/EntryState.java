package dev.istiod.serviceregistry.serviceentry;

import dev.istiod.model.Endpoint;
import dev.istiod.model.Service;
import dev.istiod.model.ServiceKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What the registry currently holds for one ServiceEntry: its conversion and its endpoints. */
record EntryState(ConvertedEntry entry, List<Instance> instances) {
  EntryState {
    instances = List.copyOf(instances);
  }

  /** The endpoints this entry contributes, per service; every service of the entry is a key. */
  Map<ServiceKey, List<Endpoint>> endpointsByService() {
    Map<ServiceKey, List<Endpoint>> out = new LinkedHashMap<>();
    for (Service s : entry.services()) {
      out.put(s.key(), new ArrayList<>());
    }
    for (Instance i : instances) {
      out.computeIfAbsent(i.service(), k -> new ArrayList<>()).add(i.endpoint());
    }
    return out;
  }
}
