#!/bin/sh
# The Debian packages `npm test` needs, listed here and nowhere else:
#   chromium             the e2e tests' browser; its package also ships SwiftShader's Vulkan driver,
#                        which WebGPU runs on without a GPU (Chromium, and Dawn in `npm run test:gpu`)
#   libvulkan1           the Vulkan loader (Dawn in Node, Chromium's WebGPU)
#   fonts-dejavu-core    a font, so that Chromium draws text (screenshots)
#   python3-torch, python3-torchvision, python3-onnx
#                        Debian's PyTorch for the torchvision and ONNX parity tests (/usr/bin/python3)
#   slurm-wlm, munge     a real one-node Slurm for the cluster tests
# When all are installed this costs one dpkg-query (no apt-get update). When some are missing it
# installs them as root, and otherwise stops with the one command that does.
set -eu

PACKAGES="chromium libvulkan1 fonts-dejavu-core python3-torch python3-torchvision python3-onnx slurm-wlm munge"

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "system-packages: not a Debian system, so nothing is checked; the tests expect the equivalents of: $PACKAGES" >&2
  exit 0
fi

installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' $PACKAGES 2>/dev/null | awk '$2 == "ii" { print $1 }' || true)
missing=""
for p in $PACKAGES; do
  case " $(echo $installed) " in
    *" $p "*) ;;
    *) missing="$missing $p" ;;
  esac
done
missing=${missing# }
[ -z "$missing" ] && exit 0

install="apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing"
if [ "$(id -u)" != 0 ]; then
  echo "npm test needs Debian packages that are missing ($missing); install them with: sudo sh -c '$install'" >&2
  exit 1
fi
echo "system-packages: installing $missing" >&2
sh -c "$install" >/dev/null
