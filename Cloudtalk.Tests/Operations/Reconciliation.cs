using System.Text.Json;
using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Operations;

/// <summary>Reads the Api's rating reconciliation report.</summary>
internal static class Reconciliation
{
    public const string Path = "/api/operations/rating-reconciliation";

    public static async Task<(int CheckedProducts, Dictionary<long, JsonElement> Mismatches)> CheckAsync(this HttpClient client)
    {
        var report = await client.GetJsonAsync(Path);
        var mismatches = report.GetProperty("mismatches").EnumerateArray()
            .ToDictionary(mismatch => mismatch.GetProperty("productId").GetInt64());
        return (report.GetProperty("checkedProducts").GetInt32(), mismatches);
    }

    /// <summary>
    /// Deletes the products a test made inconsistent on purpose: the shared system should not keep a mismatch
    /// that no write will ever fix (their rating version is the highest).
    /// </summary>
    public static async Task DeleteProductsAsync(this HttpClient client, params long[] ids)
    {
        foreach (var id in ids)
        {
            using var response = await client.DeleteAsync($"/api/products/{id}");
            Assert.Equal(System.Net.HttpStatusCode.NoContent, response.StatusCode);
        }
    }

    /// <summary>
    /// Sets a product's served rating behind the Api's back, with the highest version so that a rating-updated
    /// event of the pipeline (where it is wired) never overwrites it: the test's values stay what the check sees.
    /// </summary>
    public static async Task SetServedRatingAsync(this CloudtalkApp app, long productId, double averageRating, int reviewCount)
    {
        await using var db = await app.OpenApiDatabaseAsync();
        var updated = await db.ExecuteAsync(
            "UPDATE products SET average_rating = $1, review_count = $2, rating_version = $3 WHERE id = $4",
            averageRating, reviewCount, long.MaxValue, productId);
        Assert.Equal(1, updated);
    }
}
