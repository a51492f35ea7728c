using System.Net;
using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Products;

[Collection(CloudtalkCollection.Name)]
public sealed class ProductListTests(CloudtalkAppFixture fixture)
{
    private readonly HttpClient _client = fixture.App.CreateApiClient();

    [Fact]
    public async Task List_is_the_envelope_ordered_by_id_with_default_page_1_and_limit_100()
    {
        await _client.CreateProductAsync("first");
        await _client.CreateProductAsync("second");

        var list = await _client.GetJsonAsync("/api/products");

        Assert.Equal(1, list.GetProperty("currentPage").GetInt32());
        var total = list.GetProperty("totalItems").GetInt32();
        Assert.True(total >= 2);
        Assert.Equal((total + 99) / 100, list.GetProperty("totalPages").GetInt32());
        var ids = list.GetProperty("data").EnumerateArray().Select(p => p.Id()).ToList();
        Assert.Equal(Math.Min(total, 100), ids.Count);
        Assert.Equal(ids.Order().ToList(), ids);
    }

    [Fact]
    public async Task Pages_split_the_products_without_gaps_or_overlap()
    {
        for (var i = 0; i < 3; i++)
        {
            await _client.CreateProductAsync($"paged {i}");
        }

        var total = (await _client.GetJsonAsync("/api/products?limit=1")).GetProperty("totalItems").GetInt32();
        var limit = 2;
        var seen = new List<long>();
        var pages = (total + limit - 1) / limit;
        for (var page = 1; page <= pages; page++)
        {
            var list = await _client.GetJsonAsync($"/api/products?page={page}&limit={limit}");
            Assert.Equal(page, list.GetProperty("currentPage").GetInt32());
            Assert.Equal(pages, list.GetProperty("totalPages").GetInt32());
            seen.AddRange(list.GetProperty("data").EnumerateArray().Select(p => p.Id()));
        }

        Assert.Equal(total, seen.Count);
        Assert.Equal(seen.Order().ToList(), seen);
        Assert.Equal(seen.Count, seen.Distinct().Count());
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(1)]
    public async Task Limit_bounds_are_accepted(int limit)
    {
        // More products than the default page of 100, so that a silent cap at the default would show.
        var total = (await _client.GetJsonAsync("/api/products?limit=1")).GetProperty("totalItems").GetInt32();
        for (; total <= 100; total++)
        {
            await _client.CreateProductAsync();
        }

        var list = await _client.GetJsonAsync($"/api/products?limit={limit}");

        var totalItems = list.GetProperty("totalItems").GetInt32();
        Assert.Equal(Math.Min(limit, totalItems), list.GetProperty("data").GetArrayLength());
    }

    [Theory]
    [InlineData(2147483647)]
    [InlineData(1000000)]
    public async Task A_page_past_the_end_is_empty_with_current_page_as_asked(int page)
    {
        await _client.CreateProductAsync();

        var list = await _client.GetJsonAsync($"/api/products?page={page}&limit=1000");

        Assert.Equal(0, list.GetProperty("data").GetArrayLength());
        Assert.Equal(page, list.GetProperty("currentPage").GetInt32());
        // The totals still describe the whole list.
        var totalItems = list.GetProperty("totalItems").GetInt32();
        Assert.True(totalItems > 0);
        Assert.Equal((totalItems + 999) / 1000, list.GetProperty("totalPages").GetInt32());
    }

    [Theory]
    [InlineData("page=0", new[] { "page" })]
    [InlineData("page=-1", new[] { "page" })]
    [InlineData("page=1.5", new[] { "page" })]
    [InlineData("page=abc", new[] { "page" })]
    [InlineData("page=", new[] { "page" })]
    [InlineData("page=2147483648", new[] { "page" })]
    [InlineData("page=1&page=2", new[] { "page" })]
    [InlineData("limit=0", new[] { "limit" })]
    [InlineData("limit=1001", new[] { "limit" })]
    [InlineData("limit=1e2", new[] { "limit" })]
    [InlineData("limit=+5", new[] { "limit" })]
    [InlineData("page=0&limit=0", new[] { "page", "limit" })]
    public async Task Invalid_page_or_limit_is_a_400_naming_the_parameter(string query, string[] fields)
    {
        using var products = await _client.GetAsync($"/api/products?{query}");

        await products.AssertValidationErrorsAsync(fields);
    }
}
