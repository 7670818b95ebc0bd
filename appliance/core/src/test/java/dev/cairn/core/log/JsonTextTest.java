package dev.cairn.core.log;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.spi.log.JsonText;
import org.junit.jupiter.api.Test;

/** The shared escaping of the hand-written JSON logs: what a JSON parser reads back is the original. */
class JsonTextTest {

    @Test
    void everyControlCharacterQuoteAndBackslashRoundTrips() throws Exception {
        StringBuilder original = new StringBuilder("quote \" backslash \\ slash / é ü 日本 ");
        for (char c = 0; c < 0x20; c++) original.append(c);
        String json = JsonText.escape(new StringBuilder("\""), original).append('"').toString();
        assertThat(json).doesNotContainPattern("[\\x00-\\x1f]");
        assertThat(new ObjectMapper().readValue(json, String.class)).isEqualTo(original.toString());
    }
}
