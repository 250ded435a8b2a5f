package dev.istiod.webhook.inject;

import dev.istiod.api.mesh.v1alpha1.ProxyConfig;
import java.util.List;
import java.util.Map;

/**
 * The proxy image, {@code <hub>/<image>:<tag>[-<variant>]}, as upstream builds it: the variant
 * (image type) comes from {@code global.variant}, the ProxyConfig's {@code image.imageType}, or
 * the pod's {@code sidecar.istio.io/proxyImageType}, last wins; a tag already ending in a known
 * variant has it replaced, and the {@code default} variant means none.
 */
final class ProxyImages {
  static final String IMAGE_TYPE_ANNOTATION = "sidecar.istio.io/proxyImageType";
  private static final List<String> KNOWN_TYPES = List.of("distroless", "debug");

  private ProxyImages() {}

  static String proxyImage(InjectionValues values, ProxyConfig proxyConfig, Map<String, String> annotations) {
    String imageName = values.str("global.proxy.image");
    if (imageName.isEmpty()) {
      imageName = "proxyv2";
    }
    String imageType = values.str("global.variant");
    if (proxyConfig.hasImage()) {
      imageType = proxyConfig.getImage().getImageType();
    }
    if (annotations.containsKey(IMAGE_TYPE_ANNOTATION)) {
      imageType = annotations.get(IMAGE_TYPE_ANNOTATION);
    }
    return values.str("global.hub") + "/" + imageName + ":" + withImageType(values.str("global.tag"), imageType);
  }

  static String withImageType(String tag, String imageType) {
    if (imageType.isEmpty()) {
      return tag;
    }
    for (String known : KNOWN_TYPES) {
      if (tag.endsWith("-" + known)) {
        tag = tag.substring(0, tag.length() - known.length() - 1);
        break;
      }
    }
    return imageType.equals("default") ? tag : tag + "-" + imageType;
  }
}
