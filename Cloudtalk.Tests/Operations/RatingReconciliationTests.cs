using System.Net;
using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Operations;

/// <summary>
/// GET /api/operations/rating-reconciliation compares each product's served rating with its reviews in PostgreSQL.
/// The served values are set directly in the database, so the tests hold whether or not the rating pipeline
/// updates the Api's products yet.
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class RatingReconciliationTests(CloudtalkAppFixture fixture)
{
    private readonly HttpClient _client = fixture.App.CreateOperationsClient();

    [Fact]
    public async Task Every_product_is_checked_and_one_without_reviews_is_never_a_mismatch()
    {
        var product = await _client.CreateProductAsync("no reviews yet");

        var (checkedProducts, mismatches) = await _client.CheckAsync();

        var total = (await _client.GetJsonAsync("/api/products?limit=1")).GetProperty("totalItems").GetInt32();
        Assert.Equal(total, checkedProducts);
        Assert.DoesNotContain(product.Id(), mismatches.Keys);
    }

    [Fact]
    public async Task A_consistent_product_is_not_reported_and_inconsistent_ones_are_with_the_expected_values()
    {
        // A mean that is not a short decimal: 5/3, served as the same double the check computes.
        var consistent = (await _client.CreateProductAsync("consistent")).Id();
        foreach (var rating in new[] { 1, 2, 2 })
        {
            await _client.CreateReviewAsync(consistent, rating);
        }

        var wrongCount = (await _client.CreateProductAsync("wrong count")).Id();
        await _client.CreateReviewAsync(wrongCount, 4);
        await _client.CreateReviewAsync(wrongCount, 5);

        var wrongMean = (await _client.CreateProductAsync("wrong mean")).Id();
        await _client.CreateReviewAsync(wrongMean, 3);

        await fixture.App.SetServedRatingAsync(consistent, 5.0 / 3, 3);
        await fixture.App.SetServedRatingAsync(wrongCount, 4.5, 3);
        await fixture.App.SetServedRatingAsync(wrongMean, 3.1, 1);

        var (_, mismatches) = await _client.CheckAsync();
        await _client.DeleteProductsAsync(consistent, wrongCount, wrongMean);

        Assert.DoesNotContain(consistent, mismatches.Keys);

        var count = mismatches[wrongCount];
        Assert.Equal(4.5, count.GetProperty("servedAverageRating").GetDouble());
        Assert.Equal(3, count.GetProperty("servedReviewCount").GetInt32());
        Assert.Equal(4.5, count.GetProperty("expectedAverageRating").GetDouble());
        Assert.Equal(2, count.GetProperty("expectedReviewCount").GetInt32());

        var mean = mismatches[wrongMean];
        Assert.Equal(3.1, mean.GetProperty("servedAverageRating").GetDouble());
        Assert.Equal(1, mean.GetProperty("servedReviewCount").GetInt32());
        Assert.Equal(3.0, mean.GetProperty("expectedAverageRating").GetDouble());
        Assert.Equal(1, mean.GetProperty("expectedReviewCount").GetInt32());
    }

    [Fact]
    public async Task The_check_is_read_only_and_in_the_OpenAPI_document()
    {
        var product = (await _client.CreateProductAsync("left alone")).Id();
        await _client.CreateReviewAsync(product, 2);
        await fixture.App.SetServedRatingAsync(product, 1.0, 7);

        await _client.CheckAsync();
        await _client.CheckAsync();

        // Still reported with the same served values: the check corrected nothing.
        var (_, mismatches) = await _client.CheckAsync();
        await _client.DeleteProductsAsync(product);
        Assert.Equal(7, mismatches[product].GetProperty("servedReviewCount").GetInt32());
        using (var post = await _client.PostAsync(Reconciliation.Path, null))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        }

        var document = await _client.GetJsonAsync("/openapi/v1.json");
        var operation = document.GetProperty("paths").GetProperty(Reconciliation.Path).GetProperty("get");
        Assert.False(string.IsNullOrWhiteSpace(operation.GetProperty("summary").GetString()));
        Assert.Equal("Operations", operation.GetProperty("tags")[0].GetString());
        Assert.True(operation.GetProperty("responses").GetProperty("200").GetProperty("content")
            .TryGetProperty("application/json", out _));
    }
}
