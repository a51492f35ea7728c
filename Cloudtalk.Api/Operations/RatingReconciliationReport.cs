namespace Cloudtalk.Api.Operations;

/// <summary>The answer of the rating reconciliation check: expected is no mismatch at all.</summary>
/// <param name="CheckedProducts">How many products were compared (every product in the database).</param>
/// <param name="Mismatches">The products whose served rating differs from the recomputation, by id ascending.</param>
public sealed record RatingReconciliationReport(int CheckedProducts, IReadOnlyList<RatingMismatch> Mismatches);
