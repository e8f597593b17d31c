import { auditStock, MAX_AUDIT_SKUS, reconcileStock, type ReconcileStockSuccess, type SkuAudit } from '../stock/audit.ts';
import { UnknownSku } from '../stock/outcomes.ts';
import { builder } from './builder.ts';

const SkuAuditRef = builder.objectRef<SkuAudit>('SkuAudit').implement({
  description: "A SKU's numbers checked against its ledger, and its gate counter against the truth.",
  fields: (t) => ({
    skuId: t.exposeID('skuId'),
    conserved: t.exposeBoolean('conserved', {
      description:
        "The ledger explains the SKU's available, reserved and sold from its first movement, and they are within bounds " +
        '(reserved and sold not negative, available not below minus the backorder limit, or minus the backorders still owed ' +
        'from a higher limit, unless unlimited).',
    }),
    gateAgrees: t.exposeBoolean('gateAgrees', {
      description:
        "The gate's counter in Redis says what the truth says (true when Redis holds none: it is loaded from the truth), " +
        'in each location too while nothing is withheld. A counter that disagrees in every one of several readings is ' +
        'reported; reconcileStock rebuilds it.',
    }),
    drift: t.exposeInt('drift', { description: "The gate's available minus the truth's; 0 when they agree." }),
    unmergedMovements: t.exposeInt('unmergedMovements', { description: 'Movements not yet folded into the SKU row by the merge worker.' }),
    lastReconciledAt: t.expose('lastReconciledAt', {
      type: 'DateTime',
      nullable: true,
      description: "When the gate's counter was last rebuilt from the truth (a load, reconciliation, reconcileStock).",
    }),
  }),
});

const ReconcileStockInput = builder.inputType('ReconcileStockInput', {
  fields: (t) => ({ skuIds: t.idList({ description: `The SKUs to rebuild, 1 to ${MAX_AUDIT_SKUS}.` }) }),
});

const ReconcileStockSuccessRef = builder.objectRef<ReconcileStockSuccess>('ReconcileStockSuccess').implement({
  description: "Every SKU's gate counter was rebuilt from the truth, fenced; their audits after it.",
  fields: (t) => ({ audits: t.field({ type: [SkuAuditRef], resolve: (r) => r.audits }) }),
});

builder.queryFields((t) => ({
  stockAudit: t.field({
    type: [SkuAuditRef],
    description: `Audits up to ${MAX_AUDIT_SKUS} SKUs, in the order given: each sums its whole ledger. Unknown SKUs are an UNKNOWN_SKU error.`,
    args: { skuIds: t.arg.idList() },
    resolve: (_, { skuIds }, ctx) => auditStock(ctx, skuIds.map(String)),
  }),
}));

builder.mutationFields((t) => ({
  reconcileStock: t.field({
    type: ReconcileStockSuccessRef,
    description:
      "Rebuilds these SKUs' gate counters from the truth now, fenced (a take that passed the old counter and is not in the " +
      'ledger yet is refused and retried), and answers their audits after it.',
    args: { input: t.arg({ type: ReconcileStockInput }) },
    errors: { types: [UnknownSku], union: { name: 'ReconcileStockResult' } },
    resolve: (_, { input }, ctx) => reconcileStock(ctx, input.skuIds.map(String)),
  }),
}));
