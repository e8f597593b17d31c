-- CreateTable
CREATE TABLE "replay_filter_pending" (
    "kind" "MovementKind" NOT NULL,
    "idempotency_key" VARCHAR(128) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "replay_filter_pending_pkey" PRIMARY KEY ("kind","idempotency_key")
);
