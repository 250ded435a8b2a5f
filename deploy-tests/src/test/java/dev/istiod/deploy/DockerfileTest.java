package dev.istiod.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * deploy/image/Dockerfile as {@link ImageContractE2ETest} reads it (no container engine needed, so this runs in
 * the default build): the jar the ENTRYPOINT starts is the one the image copies in, the ahead-of-time cache it
 * maps is made by a RUN step of the training script with the same jar and JVM flags file, and instructions the contract test could not honour are refused rather than skipped.
 */
class DockerfileTest {
  private static Dockerfile image() {
    return Dockerfile.parse(Repo.read(Repo.root().resolve("deploy/image/Dockerfile")));
  }

  @Test
  void theEntrypointStartsTheCopiedJar_asUser1337_fromTheRoot() {
    Dockerfile image = image();
    String jar = image.entrypoint().get(image.entrypoint().indexOf("-jar") + 1);
    assertThat(image.steps()).contains(new Dockerfile.Copy("istiod/target/istiod.jar", jar));
    assertThat(image.entrypoint().getFirst()).isEqualTo("java");
    assertThat(image.uid()).isEqualTo(1337);
    assertThat(image.gid()).isEqualTo(1337);
    assertThat(image.workdir()).isEqualTo("/");
    assertThat(image.cmd()).containsExactly("discovery");
    assertThat(image.exposedPorts()).containsExactlyInAnyOrder(8080, 15010, 15012, 15014, 15017);
  }

  @Test
  void theAotCacheTheEntrypointMaps_isWrittenByTheTrainingScript_withTheSameJarAndFlagsFile() {
    Dockerfile image = image();
    String jar = image.entrypoint().get(image.entrypoint().indexOf("-jar") + 1);
    String archive = image.jvmOption("AOTCache").orElseThrow();
    String argsFile = image.entrypoint().get(1);
    assertThat(argsFile).as("the JVM flags come from one file").isEqualTo("@/opt/istiod/jvm.args");
    assertThat(image.steps()).contains(new Dockerfile.Copy("deploy/image/jvm.args", "/opt/istiod/jvm.args"),
        new Dockerfile.Copy("tools/image/train.sh", "/opt/istiod/train.sh"));
    assertThat(image.steps()).filteredOn(Dockerfile.Run.class::isInstance).map(Dockerfile.Run.class::cast)
        .anySatisfy(run -> assertThat(run.script()).contains("/opt/istiod/train.sh " + jar + " " + archive));
    assertThat(image.jvmOption("MaxRAMPercentage")).hasValue("75.0");
    assertThat(image.jvmOptions()).contains("-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError",
        "-XX:+UseCompactObjectHeaders");
  }

  @Test
  void continuationLinesAndCommentsInsideThem_makeOneRunStep() {
    Dockerfile image = Dockerfile.parse("""
        ARG BASE=debian:12
        FROM ${BASE}
        WORKDIR /a
        # a comment
        RUN echo one \\
        # a comment inside the continuation is dropped, as builders do
         && echo two
        ENTRYPOINT ["/bin/true"]
        """);
    assertThat(image.baseImage()).isEqualTo("debian:12");
    assertThat(image.steps()).containsExactly(new Dockerfile.Run("/a", "echo one  && echo two"));
    assertThat(image.shell()).isEqualTo(List.of("/bin/sh", "-c"));
  }

  @Test
  void anInstructionTheContractTestCannotHonour_isAnError() {
    assertThatThrownBy(() -> Dockerfile.parse("FROM x\nADD https://example.com/a /a\nENTRYPOINT [\"a\"]\n"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ADD");
    assertThatThrownBy(() -> Dockerfile.parse("FROM x\nENTRYPOINT java -jar a.jar\n"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exec form");
    assertThatThrownBy(() -> Dockerfile.parse("FROM x\nCOPY --chown=1 a /a\nENTRYPOINT [\"a\"]\n"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("COPY");
  }

  @Test
  void kubernetesMemoryQuantities() {
    assertThat(PodContainer.quantityBytes("1Gi")).isEqualTo(1L << 30);
    assertThat(PodContainer.quantityBytes("1536Mi")).isEqualTo(1536L << 20);
    assertThat(PodContainer.quantityBytes("1G")).isEqualTo(1_000_000_000L);
    assertThat(PodContainer.quantityBytes("1073741824")).isEqualTo(1L << 30);
  }
}
