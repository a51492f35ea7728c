using System.Data.Common;
using Cloudtalk.Api.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Api.Operations;

/// <summary>
/// Compares every product's stored (served) rating with the recomputation from the reviews in the Api's database.
/// Reads PostgreSQL, never the cache: the point is to check the source of what the cache serves.
/// </summary>
public static class RatingReconciliation
{
    /// <summary>Below this difference two means are equal: both sides divide the same whole numbers in doubles.</summary>
    public const double Tolerance = 1e-9;

    // One statement, so every product is compared against one consistent snapshot of products and reviews.
    // The mean is sum/count in float8, the same division the rating pipeline does in doubles. The total is joined
    // to the mismatches (LEFT JOIN ... ON true) so that it comes back even when there is no mismatch at all.
    private const string Sql = """
        WITH recomputed AS (
            SELECT p.id,
                   p.average_rating,
                   p.review_count,
                   count(r.id)::int AS expected_count,
                   CASE WHEN count(r.id) = 0 THEN 0::float8
                        ELSE sum(r.rating)::float8 / count(r.id) END AS expected_average
            FROM products p
            LEFT JOIN reviews r ON r.product_id = p.id
            GROUP BY p.id, p.average_rating, p.review_count)
        SELECT total.checked, m.id, m.average_rating, m.review_count, m.expected_average, m.expected_count
        FROM (SELECT count(*)::int AS checked FROM recomputed) AS total
        LEFT JOIN LATERAL (
            SELECT * FROM recomputed
            WHERE review_count <> expected_count OR abs(average_rating - expected_average) >= @tolerance
        ) AS m ON true
        ORDER BY m.id
        """;

    public static async Task<RatingReconciliationReport> RunAsync(ApiDbContext db, CancellationToken cancellationToken)
    {
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = Sql;
            var tolerance = command.CreateParameter();
            tolerance.ParameterName = "tolerance";
            tolerance.Value = Tolerance;
            command.Parameters.Add(tolerance);

            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var checkedProducts = 0;
            var mismatches = new List<RatingMismatch>();
            while (await reader.ReadAsync(cancellationToken))
            {
                checkedProducts = reader.GetInt32(0);
                if (!await reader.IsDBNullAsync(1, cancellationToken))
                {
                    mismatches.Add(ReadMismatch(reader));
                }
            }

            return new RatingReconciliationReport(checkedProducts, mismatches);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static RatingMismatch ReadMismatch(DbDataReader reader) => new(
        ProductId: reader.GetInt64(1),
        ServedAverageRating: reader.GetDouble(2),
        ServedReviewCount: reader.GetInt32(3),
        ExpectedAverageRating: reader.GetDouble(4),
        ExpectedReviewCount: reader.GetInt32(5));
}
