# patgate: the issuer, the revocation worker (`worker`) and the example service
# from one image. Multi-stage: build with dev dependencies, ship without them.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY packages/shared/package.json packages/shared/
COPY packages/verifier/package.json packages/verifier/
COPY packages/issuer/package.json packages/issuer/
COPY packages/client/package.json packages/client/
# Scripts off: `prepare` would build before the sources are here.
RUN npm install --no-audit --no-fund --ignore-scripts
COPY packages packages
RUN npx tsc -b && npm prune --omit=dev --omit=optional --ignore-scripts \
 && rm -rf packages/*/src packages/*/test packages/*/tsconfig.json

FROM node:24-bookworm-slim
# glibc would keep scrypt's 16 MiB buffers in per-thread malloc arenas (RSS ~270 MB under load);
# a fixed mmap threshold hands them back to the OS after each hash (~140 MB).
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 PATGATE_DATA_DIR=/data GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=131072
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/packages packages
COPY --from=build /app/package.json package.json
COPY examples examples
RUN mkdir -p /data && chown node:node /data \
 && ln -s /app/packages/issuer/bin/patgate.js /usr/local/bin/patgate
USER node
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "packages/issuer/bin/patgate.js"]
CMD ["serve"]
