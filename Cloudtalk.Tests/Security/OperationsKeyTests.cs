using System.Net;
using System.Net.Http.Headers;
using Cloudtalk.Tests.Infrastructure;
using Cloudtalk.Tests.Pipeline;
using Cloudtalk.Tests.Rating;

namespace Cloudtalk.Tests.Security;

/// <summary>
/// The operators' endpoints read every product (and the rebuild rewrites every rating): they answer only a request
/// that carries the operations key the AppHost generated, and refuse anything else with a 401 problem before they
/// run. The dashboard commands and Rating's rebuild send the key (CheckRatingsCommandTests,
/// RecomputeRatingsCommandTests).
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class OperationsKeyTests(CloudtalkAppFixture fixture)
{
    private const string RebuildPath = "/api/operations/rating-rebuild";

    public static TheoryData<string, string> ApiOperations => new()
    {
        { "GET", "/api/operations/rating-reconciliation" },
        { "GET", "/api/operations/rating-sources?afterProductId=0&throughProductId=10" },
    };

    [Theory]
    [MemberData(nameof(ApiOperations))]
    public async Task An_Api_operation_answers_only_with_the_operations_key(string method, string path)
    {
        using var client = fixture.App.CreateApiClient();
        foreach (var credentials in WrongCredentials())
        {
            using var refused = await SendAsync(client, method, path, credentials);
            await AssertRefusedAsync(refused);
        }

        using var answered = await SendAsync(client, method, path, new AuthenticationHeaderValue("Bearer", fixture.App.OperationsKey));
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
    }

    [Fact]
    public async Task Rating_refuses_a_rebuild_without_the_key_and_runs_it_with_the_key()
    {
        using var api = fixture.App.CreateApiClient();
        var apiDb = await ApiDatabase.OpenAsync(fixture.App);
        var ratingDb = await RatingDatabase.OpenAsync(fixture.App);
        var product = (await api.CreateProductAsync("rebuilt only with the key")).Id();
        await api.CreateReviewAsync(product, 4);
        await ServedRatings.WaitForAsync(api, apiDb, product, 1, 4.0);
        // Damage Rating's record behind its back: a rebuild that ran would repair it.
        await ratingDb.ExecuteAsync("UPDATE product_rating_aggregates SET rating_sum = 1 WHERE product_id = $1", product);

        using var rating = fixture.App.CreateClient("rating");
        foreach (var credentials in WrongCredentials())
        {
            using var refused = await SendAsync(rating, "POST", RebuildPath, credentials);
            await AssertRefusedAsync(refused);
        }

        Assert.Equal(1L, await ratingDb.ScalarAsync<long>("SELECT rating_sum FROM product_rating_aggregates WHERE product_id = $1", product));

        using var rebuilt = await SendAsync(rating, "POST", RebuildPath, new AuthenticationHeaderValue("Bearer", fixture.App.OperationsKey));
        Assert.Equal(HttpStatusCode.OK, rebuilt.StatusCode);
        Assert.Equal(4L, await ratingDb.ScalarAsync<long>("SELECT rating_sum FROM product_rating_aggregates WHERE product_id = $1", product));
    }

    /// <summary>No header, a wrong key, an empty one, the right key under another scheme, the right key with a suffix.</summary>
    private IEnumerable<AuthenticationHeaderValue?> WrongCredentials() =>
    [
        null,
        new("Bearer", Guid.NewGuid().ToString("N")),
        new("Basic", fixture.App.OperationsKey),
        new("Bearer", fixture.App.OperationsKey + "x"),
    ];

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string method, string path, AuthenticationHeaderValue? credentials)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Authorization = credentials;
        return await client.SendAsync(request);
    }

    private async Task AssertRefusedAsync(HttpResponseMessage response)
    {
        var problem = await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        Assert.DoesNotContain(fixture.App.OperationsKey, problem.GetRawText(), StringComparison.Ordinal);
    }
}
