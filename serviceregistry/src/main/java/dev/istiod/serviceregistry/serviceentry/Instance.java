package dev.istiod.serviceregistry.serviceentry;

import dev.istiod.model.Endpoint;
import dev.istiod.model.ServiceKey;
import dev.istiod.model.ServicePort;

/** One endpoint of one service port: the unit both EDS and inbound service targets are built from. */
record Instance(ServiceKey service, ServicePort port, Endpoint endpoint) {}
