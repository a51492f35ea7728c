using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Operations;

/// <summary>GET /api/operations/rating-sources: the Api's side of Rating's rebuild.</summary>
[Collection(CloudtalkCollection.Name)]
public sealed class RatingSourcesTests(CloudtalkAppFixture fixture)
{
    private const string Path = "/api/operations/rating-sources";

    private readonly HttpClient _api = fixture.App.CreateOperationsClient();

    [Fact]
    public async Task A_range_lists_its_products_with_every_review_rating_and_version()
    {
        var product = (await _api.CreateProductAsync("rating source")).Id();
        var next = (await _api.CreateProductAsync("the next product")).Id();
        var first = (await _api.CreateReviewAsync(product, 2)).Id();
        var second = (await _api.CreateReviewAsync(product, 5)).Id();
        using (var update = await _api.PutJsonAsync($"/api/reviews/{second}", new { rating = 4 }))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, update.StatusCode);
        }

        var range = await _api.GetJsonAsync($"{Path}?afterProductId={product - 1}&throughProductId={product}");

        var listed = Assert.Single(range.GetProperty("products").EnumerateArray());
        Assert.Equal(product, listed.GetProperty("productId").GetInt64());
        Assert.True(listed.GetProperty("ratingVersion").GetInt64() >= 0);
        var reviews = listed.GetProperty("reviews").EnumerateArray()
            .Select(review => (review.GetProperty("reviewId").GetInt64(), review.GetProperty("rating").GetInt32(), review.GetProperty("version").GetInt64()))
            .ToArray();
        Assert.Equal([(first, 2, 1L), (second, 4, 2L)], reviews);
        Assert.Equal(next, range.GetProperty("nextProductId").GetInt64());
        var beyondTheLast = await _api.GetJsonAsync($"{Path}?afterProductId={next}&throughProductId={next + 1000}");
        Assert.Empty(beyondTheLast.GetProperty("products").EnumerateArray());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, beyondTheLast.GetProperty("nextProductId").ValueKind);
    }

    [Theory]
    [InlineData("", "afterProductId", "throughProductId")]
    [InlineData("?afterProductId=0", "throughProductId")]
    [InlineData("?afterProductId=-1&throughProductId=10", "afterProductId")]
    [InlineData("?afterProductId=1e2&throughProductId=abc", "afterProductId", "throughProductId")]
    [InlineData("?afterProductId=10&throughProductId=10", "throughProductId")]
    [InlineData("?afterProductId=0&throughProductId=1001", "throughProductId")]
    public async Task A_missing_or_invalid_range_is_a_validation_problem(string query, params string[] fields)
    {
        using var response = await _api.GetAsync(Path + query);
        await response.AssertValidationErrorsAsync(fields);
    }
}
