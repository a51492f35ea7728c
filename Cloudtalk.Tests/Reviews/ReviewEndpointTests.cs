using System.Net;
using System.Text.Json;
using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Reviews;

[Collection(CloudtalkCollection.Name)]
public sealed class ReviewEndpointTests(CloudtalkAppFixture fixture)
{
    private readonly HttpClient _client = fixture.App.CreateApiClient();

    [Fact]
    public async Task Create_answers_201_with_location_and_the_review()
    {
        var product = await _client.CreateProductAsync();

        using var response = await _client.SendJsonAsync(HttpMethod.Post, "/api/reviews",
            $$"""{ "productId": {{product.Id()}}, "firstName": " Ada ", "lastName": "Lovelace", "reviewText": "Bright enough.", "rating": 4, "id": 5 }""");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var review = await response.ReadJsonAsync();
        Assert.Equal($"/api/reviews/{review.Id()}", response.Headers.Location?.OriginalString);
        Assert.Equal(product.Id(), review.GetProperty("productId").GetInt64());
        Assert.Equal("Ada", review.GetProperty("firstName").GetString());
        Assert.Equal("Lovelace", review.GetProperty("lastName").GetString());
        Assert.Equal("Bright enough.", review.GetProperty("reviewText").GetString());
        Assert.Equal(4, review.GetProperty("rating").GetInt32());
        Assert.EndsWith("Z", review.GetProperty("createdAt").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("Z", review.GetProperty("updatedAt").GetString(), StringComparison.Ordinal);

        var read = await _client.GetJsonAsync($"/api/reviews/{review.Id()}");
        Assert.Equal(review.GetRawText(), read.GetRawText());
    }

    [Theory]
    [InlineData(1, "a", 100, 4000)]
    [InlineData(5, "n100", 0, 0)]
    public async Task Create_accepts_values_at_the_bounds(int rating, string firstName, int lastNameLength, int textLength)
    {
        var product = await _client.CreateProductAsync();
        var first = firstName == "n100" ? new string('f', 100) : firstName;

        using var response = await _client.PostJsonAsync("/api/reviews", new
        {
            productId = product.Id(),
            firstName = first,
            lastName = new string('l', lastNameLength),
            reviewText = new string('t', textLength),
            rating,
        });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Optional_fields_may_be_left_out_or_null()
    {
        var product = await _client.CreateProductAsync();

        using var response = await _client.SendJsonAsync(HttpMethod.Post, "/api/reviews",
            $$"""{ "productId": {{product.Id()}}, "firstName": "Ada", "lastName": null, "rating": 3 }""");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var review = await response.ReadJsonAsync();
        Assert.Equal(JsonValueKind.Null, review.GetProperty("lastName").ValueKind);
        Assert.Equal(JsonValueKind.Null, review.GetProperty("reviewText").ValueKind);
    }

    public static TheoryData<string, string[]> InvalidBodies => new()
    {
        { """{ "firstName": "Ada", "rating": 3 }""", ["productId"] },
        { """{ "productId": null, "firstName": "Ada", "rating": 3 }""", ["productId"] },
        { """{ "productId": 0, "firstName": "Ada", "rating": 3 }""", ["productId"] },
        { """{ "productId": -4, "firstName": "Ada", "rating": 3 }""", ["productId"] },
        { """{ "productId": "PID", "firstName": "Ada", "rating": 3 }""", ["productId"] },
        { """{ "productId": 1.5, "firstName": "Ada", "rating": 3 }""", ["productId"] },
        { """{ "productId": PID, "rating": 3 }""", ["firstName"] },
        { """{ "productId": PID, "firstName": "  ", "rating": 3 }""", ["firstName"] },
        { $$"""{ "productId": PID, "firstName": "{{new string('f', 101)}}", "rating": 3 }""", ["firstName"] },
        { $$"""{ "productId": PID, "firstName": "Ada", "lastName": "{{new string('l', 101)}}", "rating": 3 }""", ["lastName"] },
        { $$"""{ "productId": PID, "firstName": "Ada", "reviewText": "{{new string('t', 4001)}}", "rating": 3 }""", ["reviewText"] },
        { """{ "productId": PID, "firstName": "Ada" }""", ["rating"] },
        { """{ "productId": PID, "firstName": "Ada", "rating": null }""", ["rating"] },
        { """{ "productId": PID, "firstName": "Ada", "rating": 0 }""", ["rating"] },
        { """{ "productId": PID, "firstName": "Ada", "rating": 6 }""", ["rating"] },
        { """{ "productId": PID, "firstName": "Ada", "rating": "5" }""", ["rating"] },
        { """{ "productId": PID, "firstName": "Ada", "rating": 3.5 }""", ["rating"] },
        { """{ "productId": PID, "firstName": "Ada", "rating": 99999999999999999999 }""", ["rating"] },
        { """{ }""", ["productId", "firstName", "rating"] },
        { """{ "productId": "1", "firstName": 7, "lastName": [], "reviewText": {}, "rating": "5" }""",
            ["productId", "firstName", "lastName", "reviewText", "rating"] },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task Create_reports_every_invalid_field_at_once(string body, string[] fields)
    {
        var product = await _client.CreateProductAsync();

        using var response = await _client.SendJsonAsync(
            HttpMethod.Post, "/api/reviews", body.Replace("PID", product.Id().ToString(), StringComparison.Ordinal));

        await response.AssertValidationErrorsAsync(fields);
    }

    [Fact]
    public async Task Create_for_an_unknown_product_is_a_400_with_errors_productId()
    {
        using var response = await _client.PostJsonAsync("/api/reviews", new { productId = 999999999, firstName = "Ada", rating = 3 });

        await response.AssertValidationErrorsAsync("productId");
    }

    [Fact]
    public async Task Malformed_json_is_a_400_problem()
    {
        using var response = await _client.SendJsonAsync(HttpMethod.Post, "/api/reviews", """{ "productId": 1, """);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Get_unknown_review_is_a_404_problem()
    {
        using var unknown = await _client.GetAsync("/api/reviews/999999999");
        using var notAnId = await _client.GetAsync("/api/reviews/seven");
        using var zero = await _client.DeleteAsync("/api/reviews/0");

        await unknown.AssertProblemAsync(HttpStatusCode.NotFound);
        await notAnId.AssertProblemAsync(HttpStatusCode.NotFound);
        await zero.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Put_changes_sent_fields_keeps_omitted_ones_and_clears_null_optional_ones()
    {
        var product = await _client.CreateProductAsync();
        var review = await _client.CreateReviewAsync(product.Id(), rating: 2);

        using var response = await _client.SendJsonAsync(HttpMethod.Put, $"/api/reviews/{review.Id()}",
            $$"""{ "productId": {{product.Id()}}, "rating": 5, "lastName": null }""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var updated = await response.ReadJsonAsync();
        Assert.Equal(5, updated.GetProperty("rating").GetInt32());
        Assert.Equal("Ada", updated.GetProperty("firstName").GetString());
        Assert.Equal(JsonValueKind.Null, updated.GetProperty("lastName").ValueKind);
        Assert.Equal("Bright enough.", updated.GetProperty("reviewText").GetString());
        Assert.Equal(review.GetProperty("createdAt").GetString(), updated.GetProperty("createdAt").GetString());
        var read = await _client.GetJsonAsync($"/api/reviews/{review.Id()}");
        Assert.Equal(updated.GetRawText(), read.GetRawText());
    }

    [Fact]
    public async Task Put_with_another_productId_is_a_400_and_the_review_stays()
    {
        var product = await _client.CreateProductAsync();
        var other = await _client.CreateProductAsync();
        var review = await _client.CreateReviewAsync(product.Id());

        using var response = await _client.PutJsonAsync($"/api/reviews/{review.Id()}", new { productId = other.Id(), rating = 1 });

        await response.AssertValidationErrorsAsync("productId");
        var read = await _client.GetJsonAsync($"/api/reviews/{review.Id()}");
        Assert.Equal(review.GetRawText(), read.GetRawText());
    }

    [Theory]
    [InlineData("""{ "rating": null }""", new[] { "rating" })]
    [InlineData("""{ "firstName": null }""", new[] { "firstName" })]
    [InlineData("""{ "productId": null }""", new[] { "productId" })]
    [InlineData("""{ "rating": "5", "firstName": "" }""", new[] { "rating", "firstName" })]
    public async Task Put_reports_invalid_fields(string body, string[] fields)
    {
        var product = await _client.CreateProductAsync();
        var review = await _client.CreateReviewAsync(product.Id());

        using var response = await _client.SendJsonAsync(HttpMethod.Put, $"/api/reviews/{review.Id()}", body);

        await response.AssertValidationErrorsAsync(fields);
    }

    [Fact]
    public async Task Put_unknown_review_is_a_404_problem()
    {
        using var response = await _client.PutJsonAsync("/api/reviews/999999999", new { rating = 3 });

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Delete_answers_204_then_404()
    {
        var product = await _client.CreateProductAsync();
        var review = await _client.CreateReviewAsync(product.Id());

        using var deleted = await _client.DeleteAsync($"/api/reviews/{review.Id()}");
        using var again = await _client.DeleteAsync($"/api/reviews/{review.Id()}");
        using var read = await _client.GetAsync($"/api/reviews/{review.Id()}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await again.AssertProblemAsync(HttpStatusCode.NotFound);
        await read.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Ten_concurrent_deletes_of_one_review_give_one_204_and_nine_404()
    {
        var product = await _client.CreateProductAsync();
        var review = await _client.CreateReviewAsync(product.Id());

        var responses = await Task.WhenAll(Enumerable.Range(0, 10)
            .Select(_ => _client.DeleteAsync($"/api/reviews/{review.Id()}")));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.NoContent);
        Assert.Equal(9, responses.Count(r => r.StatusCode == HttpStatusCode.NotFound));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task Reviews_created_while_their_product_is_deleted_never_outlive_it()
    {
        var product = await _client.CreateProductAsync();
        var creates = Enumerable.Range(0, 20)
            .Select(i => _client.PostJsonAsync("/api/reviews", new { productId = product.Id(), firstName = $"r{i}", rating = 3 }))
            .ToList();
        var delete = _client.DeleteAsync($"/api/products/{product.Id()}");

        var created = await Task.WhenAll(creates);
        using var deleted = await delete;

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        foreach (var response in created)
        {
            // Either it was created before the delete (and the delete took it), or it was refused as a 400.
            Assert.Contains(response.StatusCode, new[] { HttpStatusCode.Created, HttpStatusCode.BadRequest });
            if (response.StatusCode == HttpStatusCode.Created)
            {
                var id = (await response.ReadJsonAsync()).Id();
                using var read = await _client.GetAsync($"/api/reviews/{id}");
                Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
            }
            else
            {
                await response.AssertValidationErrorsAsync("productId");
            }

            response.Dispose();
        }
    }
}
