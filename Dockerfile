# A FROM scratch image of aaa-proxy. Build the rootfs first (no Docker needed for that):
#   npm ci && npm run build        # writes dist/rootfs: the binary + exactly its shared libraries
#   docker build -t aaa-proxy .
#   docker run -v $PWD/aaa.toml:/etc/aaa/aaa.toml:ro -v aaa-data:/data aaa-proxy
# The compiled binary needs /proc, which every container runtime provides.
# test/e2e/binary.test.ts proves this root works with unshare + chroot.
FROM scratch
COPY dist/rootfs/ /
VOLUME ["/data"]
EXPOSE 49/tcp 1812/udp 1813/udp 9090/tcp
ENTRYPOINT ["/aaa-proxy"]
CMD ["--config", "/etc/aaa/aaa.toml"]
