package org.caretrail.it.webview;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;

/**
 * A real browser for tests: Debian's headless Chromium loads a page, runs its scripts (fetching
 * from the server like any browser) and hands back the DOM it rendered. {@code .ci/run} installs
 * it; {@code CARETRAIL_CHROMIUM} names another binary.
 */
final class Chromium {

    private final Path binary;

    private Chromium(Path binary) {
        this.binary = binary;
    }

    static Optional<Chromium> find() {
        return Stream.of(System.getenv("CARETRAIL_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser",
                        "/usr/bin/google-chrome")
                .filter(p -> p != null && !p.isBlank())
                .map(Path::of)
                .filter(Files::isExecutable)
                .findFirst()
                .map(Chromium::new);
    }

    /**
     * The DOM after the page has loaded and its script has settled: the page marks itself with
     * {@code body[data-state]} once it has an answer, which the caller checks.
     */
    Document render(String url) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory("caretrail-chromium-");
        try {
            Process process = new ProcessBuilder(List.of(binary.toString(), "--headless", "--no-sandbox",
                    "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=" + profile,
                    "--virtual-time-budget=15000", "--dump-dom", url))
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("chromium did not finish rendering " + url + " within 60 s");
            }
            if (process.exitValue() != 0) {
                throw new IOException("chromium exited " + process.exitValue() + " rendering " + url);
            }
            return Jsoup.parse(new String(out, StandardCharsets.UTF_8), url);
        } finally {
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** A PNG of the page as a person sees it, once its script has settled (to look at, not to assert on). */
    Path screenshot(String url, Path png) throws IOException, InterruptedException {
        Files.createDirectories(png.toAbsolutePath().getParent());
        Path profile = Files.createTempDirectory("caretrail-chromium-");
        try {
            Process process = new ProcessBuilder(List.of(binary.toString(), "--headless", "--no-sandbox",
                    "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars",
                    "--user-data-dir=" + profile, "--window-size=1400,1500", "--virtual-time-budget=15000",
                    "--screenshot=" + png.toAbsolutePath(), url))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("chromium did not finish the screenshot of " + url + " within 60 s");
            }
            if (process.exitValue() != 0 || !Files.isRegularFile(png)) {
                throw new IOException("chromium exited " + process.exitValue() + " taking a screenshot of " + url);
            }
            return png;
        } finally {
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
