import { AuditList, ListAuditInput } from '@roster/contracts';
import { listAudit } from '../services/audit';
import { adminProcedure, router } from '../trpc';

export const auditRouter = router({
  list: adminProcedure
    .input(ListAuditInput)
    .output(AuditList)
    .query(({ ctx, input }) => listAudit(ctx.deps, input)),
});
