package dev.istiod.ca;

import io.grpc.Status;

/**
 * Upstream's signing error types (security/pkg/pki/error/error.go): the label of
 * {@code citadel_server_csr_sign_err_count} and the gRPC code the caller sees.
 */
public enum CaError {
  CA_NOT_READY(Status.Code.INTERNAL),
  CSR_ERROR(Status.Code.INVALID_ARGUMENT),
  TTL_ERROR(Status.Code.INVALID_ARGUMENT),
  CERT_GEN_ERROR(Status.Code.INTERNAL);

  private final Status.Code grpcCode;

  CaError(Status.Code grpcCode) {
    this.grpcCode = grpcCode;
  }

  public Status.Code grpcCode() {
    return grpcCode;
  }
}
