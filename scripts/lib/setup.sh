# Shared set-up for Kindred's scripts: installs what is missing, idempotently.
# Sourced by scripts/demo, scripts/test and .ci/run; not meant to be run on its own.

KINDRED_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# One build directory outside the clone, shared by tests, end-to-end runs and benchmarks, so
# that every clone (and CI) reuses the same compiled dependencies.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kindred-target}"
# Mesa's software Vulkan (used to test the GPU code path without a GPU) wants a runtime dir.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/kindred-runtime-$(id -u)}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

kindred_say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Installs the Debian/Ubuntu packages that are not installed yet.
kindred_need_apt() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    kindred_say "installing ${missing[*]}"
    local sudo=""
    [[ $(id -u) -ne 0 ]] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The Rust toolchain pinned in rust-toolchain.toml (rustup installs it on first use).
kindred_need_rust() {
    if ! command -v cargo >/dev/null 2>&1 && [[ -x "$HOME/.cargo/bin/cargo" ]]; then
        export PATH="$HOME/.cargo/bin:$PATH"
    fi
    if ! command -v cargo >/dev/null 2>&1; then
        kindred_need_apt curl ca-certificates
        kindred_say "installing Rust with rustup"
        curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal >&2
        export PATH="$HOME/.cargo/bin:$PATH"
    fi
}

# Everything needed to build and run the core, the CLI, the face models and the app.
kindred_setup() {
    # libheif-dev and libturbojpeg0-dev: the HEIC/AVIF and JPEG decoders (see media/).
    # libimage-exiftool-perl: the XMP tests read Kindred's sidecars back with a standard tool.
    # The libraries after it build the Tauri window (WebKitGTK); webkit2gtk-driver, xvfb and
    # xauth run it under test (curl waits for the driver to listen).
    kindred_need_apt build-essential pkg-config python3 python3-pip \
        libheif-dev libturbojpeg0-dev \
        libvulkan1 mesa-vulkan-drivers libimage-exiftool-perl \
        libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev libxdo-dev \
        libssl-dev file webkit2gtk-driver xvfb xauth curl
    kindred_need_rust
    "$KINDRED_REPO/scripts/fetch-models" >/dev/null
    "$KINDRED_REPO/scripts/fetch-test-media"
    kindred_need_ui
}

# The UI's npm packages (pinned by ui/package-lock.json), and its build, which the app embeds:
# the Rust build of src-tauri needs ui/dist.
kindred_need_ui() {
    local ui="$KINDRED_REPO/ui"
    command -v npm >/dev/null 2>&1 || kindred_need_apt nodejs npm
    if [[ ! -d "$ui/node_modules" || "$ui/package-lock.json" -nt "$ui/node_modules/.package-lock.json" ]]; then
        kindred_say "installing the UI's npm packages"
        # `npm install --no-save` rather than `npm ci`: npm 11 writes only this platform's optional
        # packages into the lock file (the Tauri CLI's native binary), which `npm ci` then refuses.
        (cd "$ui" && npm install --no-save --no-audit --no-fund --loglevel=error)
    fi
    # Rebuilt only when its sources changed: a new ui/dist also rebuilds the app that embeds it.
    if [[ ! -f "$ui/dist/index.html" ]] || [[ -n "$(find "$ui/src" "$ui/index.html" "$ui/vite.config.ts" \
        "$ui/tsconfig.json" "$ui/package-lock.json" -newer "$ui/dist/index.html" -print -quit)" ]]; then
        kindred_say "building the UI"
        (cd "$ui" && npm run --silent build >/dev/null)
    fi
}

# tauri-driver, the WebDriver server the end-to-end tests drive the app window through.
kindred_need_tauri_driver() {
    if ! command -v tauri-driver >/dev/null 2>&1; then
        kindred_say "installing tauri-driver"
        cargo install tauri-driver --version 2.1.0 --locked --quiet
    fi
}
