"""The arithmetic of the conformance kit (FORMAT.md), shared by the script
that writes vectors.txt and the Python runner: pattern content, the Merkle
tree over 16 KiB blocks, and the address bytes of a connection id."""
import hashlib
import socket

BLOCK = 16 * 1024


def content(size):
    return bytes((i * 31 + 7) % 256 for i in range(size))


def merkle(leaves):
    level = list(leaves)
    if not level:
        return hashlib.sha256(b"").digest()
    while len(level) > 1:
        level = [hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest()
                 if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)]
    return level[0]


def blocks(data):
    return [hashlib.sha256(data[i:i + BLOCK]).digest() for i in range(0, len(data), BLOCK)]


def address_bytes(ip):
    """Family byte (4 or 6) and the address in 16 bytes (IPv4 zero-padded);
    `ip` may be bracketed IPv6."""
    ip = ip.strip("[]")
    if ":" in ip:
        return b"\x06" + socket.inet_pton(socket.AF_INET6, ip)
    return b"\x04" + socket.inet_pton(socket.AF_INET, ip) + bytes(12)
