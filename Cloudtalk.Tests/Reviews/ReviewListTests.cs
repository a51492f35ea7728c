using System.Net;
using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Reviews;

[Collection(CloudtalkCollection.Name)]
public sealed class ReviewListTests(CloudtalkAppFixture fixture)
{
    private readonly HttpClient _client = fixture.App.CreateApiClient();

    [Fact]
    public async Task A_product_without_reviews_has_an_empty_list_with_zero_pages()
    {
        var product = await _client.CreateProductAsync();

        var list = await _client.GetJsonAsync($"/api/products/{product.Id()}/reviews");

        Assert.Equal(0, list.GetProperty("data").GetArrayLength());
        Assert.Equal(0, list.GetProperty("totalPages").GetInt32());
        Assert.Equal(0, list.GetProperty("totalItems").GetInt32());
        Assert.Equal(1, list.GetProperty("currentPage").GetInt32());
    }

    [Fact]
    public async Task Reviews_are_listed_newest_first_and_paged()
    {
        var product = await _client.CreateProductAsync();
        var other = await _client.CreateProductAsync();
        await _client.CreateReviewAsync(other.Id());
        var ids = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await _client.CreateReviewAsync(product.Id(), rating: i + 1)).Id());
        }

        ids.Reverse();
        var first = await _client.GetJsonAsync($"/api/products/{product.Id()}/reviews?page=1&limit=2");
        var third = await _client.GetJsonAsync($"/api/products/{product.Id()}/reviews?page=3&limit=2");
        var past = await _client.GetJsonAsync($"/api/products/{product.Id()}/reviews?page=4&limit=2");
        var all = await _client.GetJsonAsync($"/api/products/{product.Id()}/reviews");

        Assert.Equal(ids.Take(2), first.GetProperty("data").EnumerateArray().Select(r => r.Id()));
        Assert.Equal(3, first.GetProperty("totalPages").GetInt32());
        Assert.Equal(5, first.GetProperty("totalItems").GetInt32());
        Assert.Equal(ids.Skip(4), third.GetProperty("data").EnumerateArray().Select(r => r.Id()));
        Assert.Equal(3, third.GetProperty("currentPage").GetInt32());
        Assert.Equal(0, past.GetProperty("data").GetArrayLength());
        Assert.Equal(4, past.GetProperty("currentPage").GetInt32());
        Assert.Equal(ids, all.GetProperty("data").EnumerateArray().Select(r => r.Id()));
    }

    [Fact]
    public async Task Reviews_of_an_unknown_product_are_a_404_problem()
    {
        using var response = await _client.GetAsync("/api/products/999999999/reviews");

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("page=0", new[] { "page" })]
    [InlineData("limit=1001", new[] { "limit" })]
    [InlineData("page=x&limit=0", new[] { "page", "limit" })]
    public async Task Invalid_page_or_limit_is_a_400(string query, string[] fields)
    {
        var product = await _client.CreateProductAsync();

        using var response = await _client.GetAsync($"/api/products/{product.Id()}/reviews?{query}");

        await response.AssertValidationErrorsAsync(fields);
    }
}
