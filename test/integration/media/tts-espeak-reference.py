# Reference word onsets from espeak-ng's own synthesis events (libespeak-ng callback API, via ctypes).
# stdin: {"text", "voice", "wpm", "pitch", "wav"?}; stdout: {"sampleRate", "samples", "words": [{"char", "sample"}]}
# "char" is the 0-based code-point index of the word in text; "sample" is the event's audio position.
# With "wav" (a path) the synthesized audio is written there too (16-bit mono): a recording whose own
# word events are known.
import ctypes, json, sys, wave

lib = ctypes.CDLL("libespeak-ng.so.1")


class Event(ctypes.Structure):  # espeak_EVENT from speak_lib.h
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", ctypes.c_char * 8)]


SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(Event))
AUDIO_OUTPUT_SYNCHRONOUS, INITIALIZE_DONT_EXIT = 2, 0x8000
EVENT_LIST_TERMINATED, EVENT_WORD = 0, 1
RATE, PITCH = 1, 3
POS_CHARACTER, CHARS_UTF8 = 1, 1

request = json.load(sys.stdin)
sample_rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, None, INITIALIZE_DONT_EXIT)
if lib.espeak_SetVoiceByName(request["voice"].encode()) != 0:
    sys.exit("unknown voice")
lib.espeak_SetParameter(RATE, request["wpm"], 0)
lib.espeak_SetParameter(PITCH, request["pitch"], 0)
result = {"sampleRate": sample_rate, "samples": 0, "words": []}
audio = bytearray()


def on_audio(wav, count, events):
    if wav:
        result["samples"] += count
        if "wav" in request:
            audio.extend(ctypes.string_at(wav, count * 2))
    i = 0
    while events[i].type != EVENT_LIST_TERMINATED:
        if events[i].type == EVENT_WORD:
            result["words"].append({"char": events[i].text_position - 1, "sample": events[i].sample})
        i += 1
    return 0


callback = SynthCallback(on_audio)
lib.espeak_SetSynthCallback(callback)
text = request["text"].encode("utf-8")
lib.espeak_Synth(ctypes.c_char_p(text), len(text) + 1, 0, POS_CHARACTER, 0, CHARS_UTF8, None, None)
lib.espeak_Synchronize()
if "wav" in request:
    with wave.open(request["wav"], "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(bytes(audio))
print(json.dumps(result))
