using System.Globalization;
using System.Text.Json;
using Cloudtalk.Tests.Infrastructure;
using Cloudtalk.Tests.Messaging;

namespace Cloudtalk.Tests.Pipeline;

/// <summary>What the Api serves as a product's rating, by id and on its list page: polled until it converges.</summary>
public static class ServedRatings
{
    public static readonly TimeSpan ConvergenceTimeout = TimeSpan.FromSeconds(60);

    private const int ListLimit = 100;

    /// <summary>The product's averageRating and reviewCount from <c>GET /api/products/{id}</c>.</summary>
    public static async Task<(double Average, int Count)> ByIdAsync(HttpClient api, long productId)
    {
        var product = await api.GetJsonAsync($"/api/products/{productId}");
        return Rating(product);
    }

    /// <summary>The same product as it appears on its page of <c>GET /api/products</c>.</summary>
    public static async Task<(double Average, int Count)?> OnListPageAsync(HttpClient api, ApiDatabase database, long productId)
    {
        var page = await database.ListPageOfAsync(productId, ListLimit);
        var list = await api.GetJsonAsync(string.Create(CultureInfo.InvariantCulture, $"/api/products?page={page}&limit={ListLimit}"));
        foreach (var product in list.GetProperty("data").EnumerateArray())
        {
            if (product.Id() == productId)
            {
                return Rating(product);
            }
        }

        return null;
    }

    /// <summary>Waits until the product by id and its list page both show exactly this mean and count.</summary>
    public static async Task WaitForAsync(HttpClient api, ApiDatabase database, long productId, int count, double average)
    {
        (double Average, int Count)? byId = null, listed = null;
        await Eventually.WaitAsync(
            async () => (ById: byId = await ByIdAsync(api, productId), Listed: listed = await OnListPageAsync(api, database, productId)),
            served => served.ById == (average, count) && served.Listed == (average, count),
            ConvergenceTimeout,
            () => $"product {productId}: expected {count} reviews averaging {average}; served {byId} by id and {listed} on its list page");
    }

    /// <summary>The exact mean the contract asks for: sum / count as a double, 0 without reviews.</summary>
    public static double Mean(long sum, int count) => count == 0 ? 0 : (double)sum / count;

    private static (double Average, int Count) Rating(JsonElement product) =>
        (product.GetProperty("averageRating").GetDouble(), product.GetProperty("reviewCount").GetInt32());
}
