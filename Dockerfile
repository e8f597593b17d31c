# stockgate: the service, run with tsx (no build step), on the Node version the project declares.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
# postinstall runs `prisma generate`, which needs the schema copied above.
RUN npm ci --omit=dev --ignore-scripts && npx prisma generate
COPY lua ./lua
COPY src ./src
COPY tsconfig.json ./
EXPOSE 4000
USER node
CMD ["npx", "tsx", "src/main.ts"]
