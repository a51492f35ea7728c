using System.Text.Json;
using Cloudtalk.AppHost.Commands;
using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Operations;

/// <summary>The dashboard command load-demo-data adds the whole demo data set through the REST Api.</summary>
[Collection(CloudtalkCollection.Name)]
public sealed class DemoDataCommandTests(CloudtalkAppFixture fixture)
{
    private readonly HttpClient _client = fixture.App.CreateApiClient();

    [Fact]
    public async Task Loading_the_demo_data_adds_every_product_with_its_reviews_over_several_pages()
    {
        var before = await TotalProductsAsync();

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var result = await fixture.App.App.ResourceCommands.ExecuteCommandAsync("api", DemoDataCommand.Name, timeout.Token);

        Assert.True(result.Success, result.Message);
        Assert.Equal(DemoData.ProductCount, DemoData.Products.Count);
        var after = await TotalProductsAsync();
        Assert.Equal(before + DemoData.ProductCount, after);

        // Enough to page through at limit 50.
        var firstPage = await _client.GetJsonAsync("/api/products?page=1&limit=50");
        Assert.True(firstPage.GetProperty("totalPages").GetInt32() >= 3);

        // The newest products are the data set, in its order, each with all of its reviews.
        var added = await LastProductsAsync(after, DemoData.ProductCount);
        Assert.Equal(DemoData.Products.Select(product => product.Name), added.Select(product => product.GetProperty("name").GetString()));
        for (var index = 0; index < added.Count; index++)
        {
            var expected = DemoData.Products[index];
            Assert.Equal(expected.Price, added[index].GetProperty("price").GetDecimal());
            var reviews = await _client.GetJsonAsync($"/api/products/{added[index].Id()}/reviews?limit=20");
            Assert.Equal(expected.Reviews.Count, reviews.GetProperty("totalItems").GetInt32());
            Assert.InRange(expected.Reviews.Count, 1, 8);
            Assert.Equal(
                expected.Reviews.Select(review => review.Rating).Order(),
                reviews.GetProperty("data").EnumerateArray().Select(review => review.GetProperty("rating").GetInt32()).Order());
        }
    }

    [Fact]
    public void The_data_set_is_deterministic_valid_and_varied()
    {
        Assert.Equal(DemoData.ProductCount, DemoData.Products.Select(product => product.Name).Distinct().Count());
        Assert.All(DemoData.Products, product =>
        {
            Assert.InRange(product.Price, 0m, 1_000_000_000m);
            Assert.Equal(product.Price, decimal.Round(product.Price, 2));
            Assert.InRange(product.Reviews.Count, 1, 8);
            Assert.All(product.Reviews, review => Assert.InRange(review.Rating, 1, 5));
        });
        // Ratings spread over the whole range, so the averages differ from product to product.
        Assert.Equal([1, 2, 3, 4, 5], DemoData.Products.SelectMany(p => p.Reviews).Select(r => r.Rating).Distinct().Order());
        Assert.True(DemoData.ReviewCount > DemoData.ProductCount);
    }

    private async Task<int> TotalProductsAsync() =>
        (await _client.GetJsonAsync("/api/products?limit=1")).GetProperty("totalItems").GetInt32();

    /// <summary>The last <paramref name="count"/> of <paramref name="total"/> products, by id ascending.</summary>
    private async Task<List<JsonElement>> LastProductsAsync(int total, int count)
    {
        const int Limit = 1000;
        var products = new List<JsonElement>();
        for (var page = (total - count) / Limit + 1; (page - 1) * Limit < total; page++)
        {
            var list = await _client.GetJsonAsync($"/api/products?page={page}&limit={Limit}");
            products.AddRange(list.GetProperty("data").EnumerateArray());
        }

        return products[^count..];
    }
}
