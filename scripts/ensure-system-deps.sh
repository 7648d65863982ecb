#!/usr/bin/env bash
# Installs the system tools reelswarm renders with (ffmpeg, espeak-ng, caption fonts; tesseract-ocr
# for `analyze`; python3 for a test; chromium for the console's tests) when they are missing: with apt-get when running as root,
# otherwise it says what to install.
set -euo pipefail

missing=()
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
# `analyze` reads on-screen text with Tesseract OCR (English data comes with the package).
command -v tesseract >/dev/null 2>&1 || missing+=(tesseract-ocr)
# fc-list: which scripts the installed fonts cover (doctor, the check before a job, the caption tests).
command -v fc-list >/dev/null 2>&1 || missing+=(fontconfig)

# A font family is there when fontconfig lists it (libass finds fonts through fontconfig), or, without
# fc-list, when the Debian package's file is.
has_font() {
  if command -v fc-list >/dev/null 2>&1; then fc-list -q ":family=$1"; else [ -f "$2" ]; fi
}
has_font "DejaVu Sans" /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || missing+=(fonts-dejavu-core)
# Captions: Noto Sans (the caption style's font) with Arabic, Hebrew, Devanagari … ; Noto Sans CJK for
# Chinese, Japanese, Korean; Symbola for emoji, because libass draws outlines only and skips the colour
# bitmaps of Noto Color Emoji (installed too, for the console's browser).
has_font "Noto Sans" /usr/share/fonts/truetype/noto/NotoSans-Regular.ttf || missing+=(fonts-noto-core)
has_font "Noto Sans CJK SC" /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc || missing+=(fonts-noto-cjk)
has_font "Noto Color Emoji" /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf || missing+=(fonts-noto-color-emoji)
has_font "Symbola" /usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf || missing+=(fonts-symbola)
# The word-timing accuracy test reads espeak-ng's own word events through python3's ctypes.
command -v python3 >/dev/null 2>&1 || missing+=(python3)
# The console's end-to-end tests drive Debian's chromium (headless) through playwright-core.
command -v chromium >/dev/null 2>&1 || missing+=(chromium)

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "reelswarm: installing ${missing[*]} with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi

echo "reelswarm: missing system packages: ${missing[*]}" >&2
echo "  install them with:  sudo apt-get install ${missing[*]}" >&2
echo "  (or your platform's equivalent; ffmpeg must include libx264 and libass)" >&2
exit 1
