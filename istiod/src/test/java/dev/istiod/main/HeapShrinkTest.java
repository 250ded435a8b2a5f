package dev.istiod.main;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** The one shrink after the initial sync leaves the JVM's heap sizing as it found it. */
class HeapShrinkTest {
  @Test
  void theFreeRatioBoundsAreBackAfterTheShrink() {
    HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    String min = vm.getVMOption("MinHeapFreeRatio").getValue();
    String max = vm.getVMOption("MaxHeapFreeRatio").getValue();

    HeapShrink.afterInitialSync();

    assertThat(vm.getVMOption("MinHeapFreeRatio").getValue()).isEqualTo(min);
    assertThat(vm.getVMOption("MaxHeapFreeRatio").getValue()).isEqualTo(max);
  }
}
